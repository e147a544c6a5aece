"""Logging out empties what the tab kept of the panel's pages (sessionStorage: htmx's history
snapshots, Mail Logs' kept results), and so does reaching the login page after a session ended."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.integration]
KEPT = "() => { sessionStorage.setItem('htmx-history-cache', '[{\"url\": \"/mailserver/logs/\"}]'); }"


def test_log_out_empties_what_the_tab_kept(logged_in_page: Page) -> None:
    page = logged_in_page
    page.evaluate(KEPT)
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#id_username")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0


def test_the_login_page_after_a_session_ended_empties_it_too(logged_in_page: Page, live_server) -> None:
    page = logged_in_page
    page.evaluate(KEPT)
    page.context.clear_cookies()  # the session ended (its 8 hours, a logout in another tab)
    page.goto(f"{live_server.url}/mailserver/mta/")
    expect(page.locator("#id_username")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
