"""A save with JavaScript off, in Chromium: the admin lands at the box saved, not at the page's top.

The SMTP Outbound box is near the bottom of the MTA page (a dozen boxes above it): without the
box's fragment on the form's action, a refused save showed the page from its top with the error
far below, and a save said "Saved" above the page with the box out of sight.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_accessibility_axe import violations
from tests.support.browser import log_in

SCREENSHOTS = Path(
    os.environ.get("NODEWORX_SCREENSHOTS", Path(__file__).resolve().parents[2] / "test-results")
)

pytestmark = pytest.mark.browser


@pytest.fixture
def roots(agent_in_process):
    return agent_in_process


@pytest.fixture
def no_script(browser: Browser, live_server, admin_user, roots) -> Iterator[Page]:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 720})
    page = context.new_page()
    SCREENSHOTS.mkdir(exist_ok=True)
    log_in(page, f"{live_server.url}/mailserver/mta/")
    yield page
    context.close()


@pytest.fixture
def htmx_missing(browser: Browser, live_server, admin_user, roots) -> Iterator[Page]:
    """JavaScript on, but htmx did not load (a proxy dropped it, say): sections.js runs without it."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.route("**/htmx.min.js", lambda route: route.abort())
    page = context.new_page()
    log_in(page, f"{live_server.url}/mailserver/mta/")
    yield page
    context.close()


def _focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def test_a_refused_save_shows_its_errors_in_view_with_the_input_kept(no_script: Page, roots):
    page = no_script
    outbound = page.get_by_test_id("section-outbound")
    outbound.locator("#id_outbound-timeoutremote").fill("soon")
    outbound.get_by_test_id("save-outbound").click()

    expect(outbound.get_by_text("Response timeout must be a whole number").first).to_be_in_viewport()
    answer = page.get_by_test_id("answer-outbound")
    expect(answer).to_contain_text("Not saved: 1 error")
    expect(answer).to_be_in_viewport()
    assert page.url.endswith("/mailserver/mta/save/outbound/#section-outbound-answer")
    expect(page.locator("#section-outbound-title")).to_be_in_viewport()  # the box's heading with it
    assert _focused_id(page) == "section-outbound-answer"  # read out first; Tab goes on into the box
    field = page.locator("#id_outbound-timeoutremote")
    expect(field).to_have_value("soon")
    page.screenshot(path=str(SCREENSHOTS / "sections-without-js-refused.png"))

    answer.get_by_role("link", name="Timeout").click()  # each error leads to its field
    expect(field).to_be_focused()
    expect(field).to_be_in_viewport()
    assert not roots.control("timeoutremote").exists()


def test_a_save_says_saved_in_its_box_in_view(no_script: Page, roots):
    page = no_script
    page.get_by_test_id("section-outbound").get_by_label("Queue Lifetime").fill("3 days")
    page.get_by_test_id("save-outbound").click()

    notice = page.get_by_test_id("section-outbound").get_by_test_id("notice")
    expect(notice).to_contain_text("Saved: control/queuelifetime")
    expect(notice).to_be_in_viewport()
    assert page.url.endswith("/mailserver/mta/#section-outbound-answer")
    expect(page.locator("#section-outbound-title")).to_be_in_viewport()
    assert _focused_id(page) == "section-outbound-answer"
    page.screenshot(path=str(SCREENSHOTS / "sections-without-js-saved.png"))
    queue_lifetime = page.get_by_test_id("section-outbound").get_by_label("Queue Lifetime")
    expect(queue_lifetime).to_have_value("259200")  # what the server holds now
    assert roots.control("queuelifetime").read_text() == "259200\n"


def test_with_htmx_failed_to_load_a_save_lands_at_its_box_as_well(htmx_missing: Page, roots):
    page = htmx_missing
    outbound = page.get_by_test_id("section-outbound")
    outbound.locator("#id_outbound-timeoutremote").fill("soon")
    outbound.get_by_test_id("save-outbound").click()  # leaving by a save asks nothing first

    answer = page.get_by_test_id("answer-outbound")
    expect(answer).to_contain_text("Not saved: 1 error")
    expect(answer).to_be_in_viewport()
    expect(answer).to_be_focused()
    expect(page.locator("#id_outbound-timeoutremote")).to_have_value("soon")


def test_the_answers_a_save_lands_at_pass_axe(browser: Browser, live_server, admin_user, roots):
    # axe is a script: a context with JavaScript but no htmx answers as one without, and bypass_csp
    # lets axe be injected (this context only).
    context = browser.new_context(viewport={"width": 1280, "height": 720}, bypass_csp=True)
    context.route("**/htmx.min.js", lambda route: route.abort())
    try:
        page = context.new_page()
        log_in(page, f"{live_server.url}/mailserver/mta/")
        outbound = page.get_by_test_id("section-outbound")
        outbound.locator("#id_outbound-timeoutremote").fill("soon")
        outbound.get_by_test_id("save-outbound").click()
        expect(page.get_by_test_id("answer-outbound")).to_be_visible()
        assert violations(page) == []
        page.get_by_test_id("section-outbound").get_by_label("Response Timeout").fill("1200")
        page.get_by_test_id("save-outbound").click()
        expect(page.get_by_test_id("section-outbound").get_by_test_id("notice")).to_be_visible()
        assert violations(page) == []
    finally:
        context.close()
