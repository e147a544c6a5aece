"""Turning two-factor login off while the account is locked says that it was not turned off, and why."""

from __future__ import annotations

import pytest
from django.utils import timezone

from mailserver.core.security import lockout
from mailserver.core.security.models import TotpDevice

pytestmark = pytest.mark.django_db


def test_a_locked_account_is_told_that_it_was_not_turned_off(admin_client, admin_user, settings):
    TotpDevice.objects.create(user=admin_user, secret="JBSWY3DPEHPK3PXP", confirmed_at=timezone.now())
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        lockout.record_failure("admin", "127.0.0.1")

    html = admin_client.post("/account/two-factor/off/", {"code": "123456"}, follow=True).content.decode()

    assert "Not turned off: Too many failed logins" in html
    assert TotpDevice.objects.filter(user=admin_user).exists()
