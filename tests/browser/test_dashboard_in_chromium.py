"""The dashboard in a real Chromium with the real agent: the captured queue's counts, then a purge
of the remote queue made meanwhile shows up by the page's own refresh, without a reload."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from mailserver.core import agent
from mailserver.protocol import Op
from tests.support.queues import fresh_snapshot_queue

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
LAST_REMOTE = 'JSON.parse(document.getElementById("queue-trend-data").textContent).remote.slice(-1)[0]'


def test_the_dashboard_follows_a_purge_of_the_remote_queue_without_a_reload(
    logged_in_page, live_server, roots
):
    page = logged_in_page
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    fresh_snapshot_queue(roots)  # whatever another test left
    try:
        page.goto(f"{live_server.url}/")
        expect(page.get_by_test_id("count-local")).to_have_text("5")
        expect(page.get_by_test_id("count-remote")).to_have_text("20")
        expect(page.get_by_test_id("count-todo")).to_have_text("2")
        expect(page.get_by_test_id("count-messages")).to_have_text("27")
        trend = page.get_by_test_id("queue-trend")
        expect(trend).to_have_attribute("data-points", re.compile(r"^[1-9]\d*$"))  # drawn by dashboard.js
        assert page.evaluate(LAST_REMOTE) == 20
        # Marks that survive only in this very document and on this very canvas.
        page.evaluate("window.sameDocument = true")
        trend.evaluate("canvas => { canvas.dataset.mark = 'kept'; }")

        answer = agent.call(Op.QUEUE_PURGE, {"queue": "remote", "expect_count": 20}, timeout=30)
        assert answer["outcome"]["count"] == 20

        expect(page.get_by_test_id("count-remote")).to_have_text("0", timeout=25_000)
        expect(page.get_by_test_id("count-messages")).to_have_text("7")
        expect(page.get_by_test_id("count-local")).to_have_text("5")
        assert page.evaluate("window.sameDocument") is True  # no reload happened
        assert trend.get_attribute("data-mark") == "kept"  # the chart was fed, not redrawn from scratch
        assert page.evaluate(LAST_REMOTE) == 0
        assert not refused
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
    finally:
        fresh_snapshot_queue(roots)


def test_a_refresh_that_fails_is_said_and_an_ended_session_leads_to_the_login(logged_in_page, live_server):
    page = logged_in_page
    page.goto(f"{live_server.url}/")
    note = page.get_by_test_id("refresh-note")
    expect(note).to_have_text("refreshed every 10 seconds")

    page.route("**/dashboard/live/", lambda route: route.abort())  # the panel stops answering
    expect(note).to_contain_text("Could not refresh at", timeout=25_000)
    expect(page.get_by_test_id("count-remote")).to_be_visible()  # the last counts stay
    page.unroute("**/dashboard/live/")
    expect(note).to_have_text("refreshed every 10 seconds", timeout=25_000)

    page.context.clear_cookies()  # the session ends
    page.wait_for_url("**/login/**", timeout=25_000)
    expect(page.get_by_label("Username")).to_be_visible()
    assert page.locator("#dashboard-live").count() == 0


def test_on_a_phone_the_services_table_fits_its_card(logged_in_page, live_server):
    page = logged_in_page
    page.set_viewport_size({"width": 400, "height": 800})
    page.goto(f"{live_server.url}/")
    row = page.get_by_test_id("service-row-spamd")
    expect(row.get_by_role("rowheader")).to_contain_text("SpamAssassin (spamd)")  # under the name
    fits = page.get_by_test_id("services-card").locator(".table-responsive")
    assert fits.evaluate("box => box.scrollWidth <= box.clientWidth")  # nothing hidden to the right


POINT_XS = """canvas => {
  const chart = Chart.getChart(canvas);
  return chart.getDatasetMeta(1).data.map((point) => point.x);
}"""


def test_the_trend_gives_each_sample_its_place_in_time(logged_in_page, live_server, roots):
    from django.utils import timezone

    from mailserver.dashboard.models import QueueSample

    fresh_snapshot_queue(roots)
    base = timezone.now() - timedelta(hours=6)
    for minutes, remote in ((0, 3), (5, 4), (65, 5)):  # then nothing until the counts now
        at = base + timedelta(minutes=minutes)
        QueueSample.objects.create(node="test", at=at, local=1, remote=remote, todo=0, messages=remote + 1)
    page = logged_in_page
    page.goto(f"{live_server.url}/")
    trend = page.get_by_test_id("queue-trend")
    expect(trend).to_have_attribute("data-points", "4")
    first, second, third, now = trend.evaluate(POINT_XS)
    # 5 minutes, 60 minutes, then about 5 hours: the same steps on a category axis
    assert 10 < (third - second) / (second - first) < 14
    assert (now - third) > 4 * (third - second)
    box = trend.bounding_box()
    assert box and now > 0.7 * box["width"]  # the counts now sit near the right end of the day
    SCREENSHOTS.mkdir(exist_ok=True)
    page.get_by_test_id("queue-card").screenshot(path=str(SCREENSHOTS / "dashboard-trend.png"))


def test_a_refresh_leaves_the_keyboard_focus_on_the_link_it_was_on(logged_in_page, live_server, roots):
    page = logged_in_page
    page.goto(f"{live_server.url}/")
    spamd = page.get_by_test_id("service-row-spamd").get_by_role("link")
    for link in (spamd, page.locator("#queue-count-remote")):
        link.focus()
        page.evaluate("document.getElementById('dashboard-live').dataset.old = 'yes'")
        expect(page.locator("#dashboard-live[data-old]")).to_have_count(0, timeout=25_000)  # refreshed
        expect(link).to_be_focused()  # it fell to <body> at every refresh, every 10 s


def test_times_are_the_panels_even_in_a_browser_in_another_time_zone(browser, live_server, admin_user, roots):
    from datetime import UTC, datetime

    from tests.support.browser import log_in

    context = browser.new_context(timezone_id="America/New_York")  # the panel's is UTC
    try:
        page = context.new_page()
        log_in(page, f"{live_server.url}/")
        counted = page.get_by_test_id("counted-at").inner_text()
        assert counted.endswith(" UTC")
        page.route("**/dashboard/live/", lambda route: route.abort())
        note = page.get_by_test_id("refresh-note")
        expect(note).to_contain_text("Could not refresh at", timeout=25_000)
        said = re.search(r"at (\d\d):(\d\d):\d\d UTC:", note.inner_text())
        now = datetime.now(UTC)
        assert said, note.inner_text()  # it said New York's time, beside a "counted at" in UTC
        assert (int(said[1]) * 60 + int(said[2]) - (now.hour * 60 + now.minute)) % 1440 in (0, 1439)
    finally:
        context.close()
