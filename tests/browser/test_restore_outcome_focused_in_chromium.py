"""After Restore this version the new page puts the focus on its outcome, so that it is read first."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_the_outcome_of_a_restore_has_the_focus(page: Page, live_server, admin_user, roots) -> None:
    from mailserver.core.models import Change

    log_in(page, f"{live_server.url}/mailserver/mta/")
    inbound = page.get_by_test_id("section-inbound")
    inbound.get_by_label("Timeout").fill("600")
    inbound.get_by_test_id("save-inbound").click()
    expect(inbound.get_by_test_id("notice")).to_contain_text("timeoutsmtpd")
    change = Change.objects.get(target="control/timeoutsmtpd")
    page.goto(f"{live_server.url}/changes/{change.pk}/")

    page.get_by_label("Yes, write this version back").press("Space")
    page.get_by_test_id("restore-button").press("Enter")

    outcome = page.get_by_role("alert").filter(has_text="Restored the version")
    expect(outcome).to_contain_text(f"Restored the version from before change {change.pk}")
    expect(outcome).to_be_focused()
    assert not roots.control("timeoutsmtpd").exists()
