"""Logging out lands on the login page saying so."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_login_page_after_logging_out_says_who_is_logged_out(admin_client):
    html = admin_client.post("/logout/", follow=True).content.decode()

    assert "Log in to NodeWorx" in html and "admin is logged out." in html
    assert "is logged out" not in admin_client.get("/login/").content.decode()  # said once


def test_the_focus_stays_on_the_user_name_field(admin_client):
    html = admin_client.post("/logout/", follow=True).content.decode()

    assert html.count("autofocus") == 1 and 'autofocus autocapitalize="none"' in html
