"""An admin opens Mail Logs from the nav, runs show-all over a period, sees the chart and a timeline."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_admin_runs_show_all_and_opens_a_message_timeline(logged_in_page, roots):
    page = logged_in_page
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.get_by_role("link", name="Mail Logs").click()
    page.wait_for_url("**/mailserver/logs/")

    page.locator("#id_preset").select_option("range")
    page.get_by_label("Start", exact=True).fill("1795613580")  # 13:33 UTC, the first minutes of the logs
    page.get_by_label("End", exact=True).fill("1795613700")
    page.locator("#id_report").select_option("show-all")
    page.get_by_label("Rows", exact=True).fill("25")
    page.get_by_test_id("run-report").click()

    rows = page.get_by_test_id("report-row")
    expect(rows).to_have_count(25)
    expect(page.get_by_test_id("row-count")).to_contain_text("first 25 of")
    expect(page.get_by_test_id("delivery-chart")).to_have_attribute("data-drawn", "true")
    assert "preset=range" in page.url  # the query is in the URL: reload or share it

    page.get_by_test_id("timeline-link").nth(2).click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator('[data-kind="arrival"]')).to_have_count(1)
    expect(timeline.locator('[data-kind="start"]').first).to_be_visible()
    expect(timeline.locator('[data-kind="end"]')).to_contain_text("left the queue")
    expect(page.get_by_label("Start", exact=True)).to_have_value("1795613580")  # the form stays as typed

    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "mail-logs.png"), full_page=True)
