"""The dashboard with JavaScript off does not claim to refresh itself, and shows no empty chart."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_without_the_script_it_says_to_reload(browser: Browser, live_server, admin_user, roots) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, f"{live_server.url}/", lands_on=f"{live_server.url}/")

    expect(page.get_by_test_id("count-remote")).to_be_visible()
    expect(page.get_by_test_id("refresh-note")).to_be_hidden()
    expect(page.get_by_test_id("no-refresh-note")).to_have_text(
        "not refreshed (JavaScript is off): reload the page for new figures"
    )
    expect(page.get_by_test_id("queue-trend")).to_be_hidden()
    context.close()


def test_with_the_script_it_says_it_refreshes(page, live_server, admin_user, roots) -> None:
    log_in(page, f"{live_server.url}/", lands_on=f"{live_server.url}/")

    expect(page.get_by_test_id("refresh-note")).to_contain_text("refreshed every 10 seconds")
    expect(page.get_by_test_id("no-refresh-note")).to_be_hidden()
    expect(page.get_by_test_id("queue-trend")).to_be_visible()
