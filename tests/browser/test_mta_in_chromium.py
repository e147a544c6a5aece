"""An admin changes Message Size in a real Chromium and finds it on disk and on the reloaded page;
a save answered while the admin types elsewhere on the page leaves the typing where it was."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

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


def _held(page: Page, held: list[Route]) -> Route:
    for _ in range(100):
        if held:
            return held[0]
        page.wait_for_timeout(50)
    raise AssertionError("the save never left the browser")


def test_a_save_answered_while_the_admin_types_in_the_route_tester_leaves_the_typing_there(
    logged_in_page, roots
):
    # The answer to a refused save focuses its first bad field once htmx has settled the box. An
    # admin who went on to the route tester meanwhile must not see the rest of the address land
    # in the Timeout field (what a full CI run once caught: an empty address, the test never sent).
    page = logged_in_page
    held: list[Route] = []
    page.route("**/mailserver/mta/save/inbound/", lambda route: held.append(route))  # a slow answer
    inbound = page.get_by_test_id("section-inbound")
    inbound.get_by_label("Timeout").fill("20x")
    inbound.get_by_test_id("save-inbound").click()
    save = _held(page, held)

    recipient = page.get_by_label("Recipient address")
    recipient.click()
    page.keyboard.type("bob@")
    save.continue_()
    inbound = page.get_by_test_id("section-inbound")
    expect(inbound.locator(".invalid-feedback")).to_contain_text("20x")
    expect(inbound).not_to_have_class(re.compile(r"\bhtmx-settling\b"))  # its load handlers have run
    page.keyboard.type("sink.example.net")

    expect(recipient).to_have_value("bob@sink.example.net")
    expect(recipient).to_be_focused()
    expect(inbound.get_by_label("Timeout")).to_have_value("20x")
    page.get_by_role("button", name="Test route").click()
    expect(page.get_by_test_id("route-result")).to_contain_text("sink.example.net")


def test_the_route_testers_answer_is_said_in_a_live_region_that_stays_on_the_page(logged_in_page, roots):
    # The answer replaces the tester's form and result; a screen reader reads out only a live region
    # that was on the page before its text changed, so the page keeps one outside the swap.
    page = logged_in_page
    announce = page.get_by_test_id("route-announce")
    expect(announce).to_have_attribute("aria-live", "polite")
    announce.evaluate("region => { region.dataset.first = 'yes'; }")  # the very element, not a new one
    recipient = page.get_by_label("Recipient address")
    recipient.fill("bob@sink.example.net")
    recipient.press("Enter")
    expect(page.get_by_test_id("route-result")).to_contain_text("sink.example.net")
    expect(announce).to_have_text("sink.example.net: relay 127.0.0.1 port 2526.")
    expect(announce).to_have_attribute("data-first", "yes")
    expect(page.get_by_label("Recipient address")).to_be_focused()

    page.get_by_label("Recipient address").fill("bob")
    page.get_by_label("Recipient address").press("Enter")
    expect(announce).to_have_text("Enter a full address, user@domain.")
    expect(page.locator("[data-testid=route-announce]")).to_have_count(1)
