"""The two-factor page of a user who turned it on: since when, in the panel's zone, saying which."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mailserver.core.security.models import TotpDevice

pytestmark = pytest.mark.django_db


def test_says_since_when_with_the_zone(admin_client, admin_user, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    at = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)
    TotpDevice.objects.create(user=admin_user, secret="JBSWY3DPEHPK3PXP", confirmed_at=at)

    html = admin_client.get("/account/two-factor/").content.decode()

    assert "On since 2026-07-02 00:30 CEST:" in html
