"""A save refused by Django itself says so on the page: a form from before the last login (the
CSRF token changes at login) used to change nothing on the screen, read as a silent success."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import PASSWORD, USERNAME, log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_a_save_from_a_page_of_an_earlier_login_says_it_was_not_done(
    page: Page, live_server, admin_user, roots
):
    page.set_viewport_size({"width": 400, "height": 800})  # a phone: the box is far down the page
    log_in(page, f"{live_server.url}/mailserver/mta/")
    inbound = page.get_by_test_id("section-inbound")
    inbound.get_by_label("Timeout").fill("600")
    other = page.context.new_page()  # logging in again in another tab gives the session a new token
    other.goto(f"{live_server.url}/login/")
    other.fill("#id_username", USERNAME)
    other.fill("#id_password", PASSWORD)
    other.click("button[type=submit]")
    other.wait_for_url(f"{live_server.url}/")

    page.bring_to_front()
    inbound.get_by_test_id("save-inbound").click()

    refused = page.get_by_test_id("request-refused")
    expect(refused).to_contain_text("Not done: the page was out of date.")
    expect(refused).to_contain_text("Nothing was sent to the mail server.")
    expect(refused).to_be_focused()
    expect(refused).to_be_in_viewport()  # the Save pressed was far down the page
    expect(inbound.get_by_label("Timeout")).to_have_value("600")  # what was typed is still there
    assert not roots.control("timeoutsmtpd").exists()
