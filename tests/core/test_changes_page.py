"""Recent changes: every change with who, when, node, and a diff of before and after."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from mailserver.core.models import Change
from tests.support.mta_forms import post_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def roots(agent_in_process):
    """A page test: the agent's operations run in process (tests/conftest.py agent_in_process)."""
    return agent_in_process


def test_a_saved_change_is_listed_with_its_diff(admin_client, roots):
    post_section(admin_client, "outbound", timeoutconnect="30")
    listing = admin_client.get("/changes/").content.decode()
    assert "control/timeoutconnect" in listing and "admin" in listing and "test" in listing
    change = Change.objects.get(target="control/timeoutconnect")
    detail = admin_client.get(f"/changes/{change.pk}/").content.decode()
    assert "+30" in detail
    assert change.node == "test"


def test_a_refused_change_is_listed_too(admin_client, roots):
    post_section(admin_client, "outbound", concurrencyremote="5")
    roots.control("concurrencyremote").write_text("7\n")  # hand edit after the page was read
    from tests.support.mta_forms import section_data

    data = section_data("outbound", concurrencyremote="9")
    roots.control("concurrencyremote").write_text("8\n")
    admin_client.post("/mailserver/mta/save/outbound/", data, HTTP_HX_REQUEST="true")
    results = list(Change.objects.filter(target="control/concurrencyremote").values_list("result", flat=True))
    assert results == ["conflict", "applied"]
    assert roots.control("concurrencyremote").read_text() == "8\n"


def test_pages_need_a_logged_in_administrator(client, db):
    response = client.get("/mailserver/mta/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_list_says_the_zone_its_times_are_in(admin_client, roots, settings):
    # The queue and dashboard say their zone; this list showed bare times in the panel's.
    settings.TIME_ZONE = "Europe/Berlin"
    post_section(admin_client, "outbound", timeoutconnect="30")
    change = Change.objects.get(target="control/timeoutconnect")
    listing = admin_client.get("/changes/").content.decode()
    assert "Times in Europe/Berlin." in listing
    berlin = change.created.astimezone(ZoneInfo("Europe/Berlin"))
    assert berlin.strftime("%Y-%m-%d %H:%M:%S") in listing
