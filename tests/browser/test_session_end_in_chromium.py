"""The session ends while a page is open: the next htmx request (a save) loads the login as the
page, and back to that page after, instead of putting the login page inside the box that asked."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_a_save_after_the_session_ended_goes_to_the_login(page: Page, live_server, admin_user, roots) -> None:
    from django.contrib.sessions.models import Session

    log_in(page, f"{live_server.url}/mailserver/mta/")
    inbound = page.get_by_test_id("section-inbound")
    inbound.get_by_label("Timeout").fill("600")

    Session.objects.all().delete()  # expired, or ended by logging out in another window
    inbound.get_by_test_id("save-inbound").click()

    page.wait_for_url(f"{live_server.url}/login/?next=/mailserver/mta/")
    expect(page.get_by_role("heading", name="Log in to NodeWorx")).to_have_count(1)
    assert roots.control("timeoutsmtpd").exists() is False  # nothing was saved
