"""An admin changes Message Size in a real Chromium and finds it on disk and on the reloaded page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_admin_changes_message_size_and_it_lands_in_databytes(logged_in_page, roots):
    page = logged_in_page
    inbound = page.get_by_test_id("section-inbound")
    size = inbound.get_by_label("Message Size")
    expect(size).to_have_value("2000")

    size.fill("26214400")
    inbound.get_by_test_id("save-inbound").click()

    expect(page.get_by_test_id("section-inbound").get_by_test_id("notice")).to_contain_text(
        "control/databytes applies to the next SMTP connection"
    )
    assert roots.control("databytes").read_text() == "26214400\n"
    page.reload()
    expect(page.get_by_test_id("section-inbound").get_by_label("Message Size")).to_have_value("26214400")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "mta-page.png"), full_page=True)


def test_a_refused_value_is_explained_beside_the_field_and_kept(logged_in_page, roots):
    page = logged_in_page
    inbound = page.get_by_test_id("section-inbound")
    inbound.get_by_label("Timeout").fill("20x")
    inbound.get_by_test_id("save-inbound").click()

    section = page.get_by_test_id("section-inbound")
    expect(section.locator(".invalid-feedback")).to_contain_text("20x")
    expect(section.get_by_label("Timeout")).to_have_value("20x")
    assert not roots.control("timeoutsmtpd").exists()
