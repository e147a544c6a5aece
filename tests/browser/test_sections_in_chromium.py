"""The MTA page's boxes in Chromium as an admin meets them: where focus goes after a save, what is
left unsaved, units echoed while typing, and a page from the browser's history never shown stale.

The agent's operations run in process (tests/conftest.py agent_in_process): the live server is a
thread of this process, so it uses the same in-process agent.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.fixture
def roots(agent_in_process):
    return agent_in_process


def _focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def test_a_failed_save_counts_its_errors_by_the_button_and_focuses_the_first_bad_field(logged_in_page):
    page = logged_in_page
    inbound = page.get_by_test_id("section-inbound")
    inbound.get_by_label("Timeout").fill("soon")
    inbound.get_by_label("Message Size").fill("20x")
    inbound.get_by_test_id("save-inbound").click()

    expect(page.get_by_test_id("save-status-inbound")).to_have_text("Not saved: 2 errors")
    expect(page.locator("#id_inbound-timeoutsmtpd")).to_be_focused()


def test_after_a_save_the_notice_has_the_focus(logged_in_page, roots):
    page = logged_in_page
    page.get_by_test_id("section-inbound").get_by_label("Timeout").fill("10 minutes")
    page.get_by_test_id("save-inbound").click()

    notice = page.get_by_test_id("section-inbound").get_by_test_id("notice")
    expect(notice).to_contain_text("control/timeoutsmtpd")
    expect(notice).to_be_focused()
    assert roots.control("timeoutsmtpd").read_text() == "600\n"


def test_units_are_echoed_while_typing(logged_in_page):
    page = logged_in_page
    size = page.get_by_test_id("section-inbound").get_by_label("Message Size")
    echo = page.get_by_test_id("echo-inbound-databytes")
    expect(echo).to_have_text("≈ 1.95 KiB (2000 bytes)")  # the server's 2000, from the page
    size.fill("25 MB")
    expect(echo).to_have_text("= 25 MiB")
    page.get_by_test_id("section-outbound").get_by_label("Queue Lifetime").fill("3d")
    expect(page.get_by_test_id("echo-outbound-queuelifetime")).to_have_text("= 3 days")


def test_an_unusual_value_asks_for_the_confirmation_it_needs(logged_in_page, roots):
    page = logged_in_page
    inbound = page.get_by_test_id("section-inbound")
    inbound.get_by_label("Message Size").fill("10")
    inbound.get_by_test_id("save-inbound").click()

    inbound = page.get_by_test_id("section-inbound")
    expect(inbound.locator(".invalid-feedback")).to_contain_text("smaller than almost every message")
    inbound.get_by_label("Save the unusual values above anyway").check()
    inbound.get_by_test_id("save-inbound").click()
    expect(page.get_by_test_id("section-inbound").get_by_test_id("notice")).to_contain_text(
        "control/databytes"
    )
    assert roots.control("databytes").read_text() == "10\n"


def test_a_box_with_unsaved_edits_is_marked_and_leaving_asks_first(logged_in_page, roots):
    page = logged_in_page
    routes = page.get_by_test_id("section-routes")
    expect(routes.get_by_test_id("unsaved-routes")).to_be_hidden()
    routes.get_by_label("SMTP Routes").fill("example.com:relay.example.net")
    expect(routes.get_by_test_id("unsaved-routes")).to_be_visible()
    expect(page.locator('[data-jump="routes"] .unsaved-mark')).to_be_visible()

    asked = []

    def stay(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.get_by_role("link", name="Mail Logs").click()
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    assert page.url.endswith("/mailserver/mta/")

    # Putting the old value back is not an unsaved edit any more.
    page.remove_listener("dialog", stay)
    routes.get_by_label("SMTP Routes").fill(roots.control("smtproutes").read_text().rstrip("\n"))
    expect(routes.get_by_test_id("unsaved-routes")).to_be_hidden()


def test_back_to_the_page_shows_what_the_server_holds_now(logged_in_page, roots):
    page = logged_in_page
    expect(page.get_by_test_id("section-inbound").get_by_label("Message Size")).to_have_value("2000")
    roots.control("databytes").write_text("31457280\n")  # saved from another tab meanwhile
    page.get_by_role("link", name="Mail Logs").click()
    page.wait_for_url("**/mailserver/logs/")
    page.go_back()
    expect(page.get_by_test_id("section-inbound").get_by_label("Message Size")).to_have_value("31457280")
