"""The lock-out says until when, in the panel's zone and naming it, beside how many minutes are left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mailserver.core.security.lockout import Lock

pytestmark = pytest.mark.django_db


def test_the_message_says_until_when_in_the_panels_zone(settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    until = timezone.now() + timedelta(minutes=14, seconds=30)

    message = Lock(until).message

    local = timezone.localtime(until)
    assert f"locked for 15 more minutes (until {local:%H:%M} JST)." in message
