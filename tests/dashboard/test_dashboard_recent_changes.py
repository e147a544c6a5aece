"""The dashboard shows its times (recent changes, a growing queue) in the panel's zone, saying which."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from mailserver.core.models import Change

pytestmark = pytest.mark.django_db


def test_recent_changes_are_in_the_panels_zone_and_say_it(admin_client, roots, settings):
    settings.TIME_ZONE = "America/New_York"
    change = Change.objects.create(
        username="bob", node="test", target="control/databytes", action="write", result="applied"
    )

    html = admin_client.get("/").content.decode()

    local = change.created.astimezone(ZoneInfo("America/New_York"))
    assert f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} bob write control/databytes" in html
    assert f"{change.created:%Y-%m-%d %H:%M:%S} bob" not in html  # the stored UTC time, bare


def test_a_growing_queue_says_since_when_in_the_panels_zone(admin_client, roots, settings):
    from datetime import timedelta

    from django.utils import timezone

    from mailserver.dashboard.models import QueueSample

    settings.TIME_ZONE = "Asia/Tokyo"
    now = timezone.now()
    for minutes, remote in ((55, 150), (30, 260), (2, 420)):
        QueueSample.objects.create(
            node="test",
            at=now - timedelta(minutes=minutes),
            local=5,
            remote=remote,
            todo=2,
            messages=remote + 7,
        )

    html = admin_client.get("/").content.decode()

    first = (now - timedelta(minutes=55)).astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"150 → 420 messages since {first:%H:%M} JST" in html
