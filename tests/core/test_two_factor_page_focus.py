"""The two-factor page does not jump to its code field on load (its text and key come first); the
login's code step, a page with nothing else to read, does."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.utils import timezone

from mailserver.core.security.models import TotpDevice
from mailserver.core.security.views import PENDING

pytestmark = pytest.mark.django_db


def test_enrolling_and_turning_off_do_not_take_the_focus(admin_client, admin_user):
    assert "autofocus" not in admin_client.get("/account/two-factor/").content.decode()
    TotpDevice.objects.create(user=admin_user, secret="JBSWY3DPEHPK3PXP", confirmed_at=timezone.now())
    assert "autofocus" not in admin_client.get("/account/two-factor/").content.decode()


def test_the_login_code_step_still_does(admin_user):
    client = Client()
    session = client.session
    session[PENDING] = {"user": admin_user.pk, "backend": "x", "at": time.time(), "next": "/"}
    session.save()

    assert "autofocus" in client.get("/login/code/").content.decode()


def test_a_refused_code_gets_the_focus_back(admin_client):
    html = admin_client.post("/account/two-factor/", {"code": "000000"}).content.decode()

    assert "That code does not match" in html and "autofocus" in html
