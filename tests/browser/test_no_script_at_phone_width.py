"""With JavaScript off at a phone's width the Mail Server pages are still reachable from the sidebar."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_the_sidebar_is_in_the_page_and_leads_to_every_page(
    browser: Browser, live_server, admin_user, roots
) -> None:
    from mailserver.core.navigation import MAIL_SERVER_PAGES

    context = browser.new_context(java_script_enabled=False, viewport={"width": 400, "height": 800})
    page = context.new_page()
    log_in(page, f"{live_server.url}/changes/")

    expect(page.get_by_test_id("menu-button")).to_be_hidden()  # it opens nothing without the script
    sidebar = page.get_by_role("navigation", name="Mail Server")
    for section in MAIL_SERVER_PAGES:
        expect(sidebar.get_by_role("link", name=section.title)).to_be_visible()
    sidebar.get_by_role("link", name="Mail Queue").click()
    expect(sidebar.get_by_role("link", name="Mail Queue")).to_have_attribute("aria-current", "page")
    context.close()


def test_with_the_script_the_sidebar_stays_behind_the_menu_button(
    page, live_server, admin_user, roots
) -> None:
    page.set_viewport_size({"width": 400, "height": 800})
    log_in(page, f"{live_server.url}/changes/")

    sidebar = page.get_by_role("navigation", name="Mail Server")
    expect(sidebar.get_by_role("link", name="MTA")).to_be_hidden()
    page.get_by_test_id("menu-button").click()
    expect(sidebar.get_by_role("link", name="MTA")).to_be_visible()
