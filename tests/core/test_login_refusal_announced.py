"""A refused login says why in an alert that the focused user name field points to."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _refused(client: Client) -> str:
    return client.post("/login/", {"username": "admin", "password": "wrong"}).content.decode()


def test_a_wrong_password_is_an_alert_the_user_name_field_points_to(admin_user):
    html = " ".join(_refused(Client()).split())

    assert (
        '<div class="alert alert-danger" role="alert" id="login-error" data-testid="login-error">Please enter'
        in html
    )
    username = html[html.index('<input type="text" name="username"') :].split(">", 1)[0]
    assert 'aria-describedby="login-error"' in username and "autofocus" in username
    assert html.count("Please enter a correct username and password") == 1  # not twice


def test_the_lock_and_how_long_it_lasts_is_the_alert(admin_user, settings):
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        _refused(client)

    html = " ".join(_refused(client).split())

    alert = html[html.index('id="login-error"') :].split("</div>", 1)[0]
    assert "logging in is locked for 15 more minutes" in alert


def test_a_first_visit_has_no_alert_and_no_pointer(db):
    html = Client().get("/login/").content.decode()

    assert 'id="login-error"' not in html and "aria-describedby" not in html
