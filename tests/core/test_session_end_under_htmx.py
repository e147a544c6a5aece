"""A session that ended under an open page: htmx's requests send the whole page to the login."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_htmx_request_without_a_session_sends_the_page_to_the_login_and_back(db):
    response = Client().get(
        "/dashboard/live/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/mailserver/mta/?x=1",
    )

    assert response.status_code == 401  # not a redirect, which htmx would follow into the box
    assert response["HX-Redirect"] == "/login/?next=/mailserver/mta/%3Fx%3D1"
    assert response.content == b""


def test_a_page_without_a_session_is_still_redirected_to_the_login(db):
    response = Client().get("/mailserver/mta/")

    assert response.status_code == 302 and response["Location"] == "/login/?next=/mailserver/mta/"
