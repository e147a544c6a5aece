"""Pages with a secret or with the change log as it is now are never kept by the browser or a proxy."""

from __future__ import annotations

import time

import pytest

from mailserver.core.models import Change
from mailserver.core.security.views import PENDING

pytestmark = pytest.mark.django_db


def _not_stored(response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


def test_the_two_factor_page_showing_the_secret_is_not_stored(admin_client):
    response = admin_client.get("/account/two-factor/")

    assert 'data-testid="totp-secret"' in response.content.decode()
    assert _not_stored(response)


def test_the_code_step_of_the_login_is_not_stored(client, admin_user):
    session = client.session
    session[PENDING] = {"user": admin_user.pk, "backend": "x", "at": time.time(), "next": "/"}
    session.save()

    response = client.get("/login/code/")

    assert response.status_code == 200 and _not_stored(response)


def test_recent_changes_and_a_change_are_not_stored(admin_client):
    change = Change.objects.create(
        username="admin", node="test", target="control/databytes", action="write", result="applied"
    )

    assert _not_stored(admin_client.get("/changes/"))
    assert _not_stored(admin_client.get(f"/changes/{change.pk}/"))
