"""The dashboard's recent changes show their times in the panel's zone, saying which."""

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
