"""Recent changes at a phone's width: every change's target, result and link stay on the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_the_list_fits_a_phone_without_scrolling_sideways(page: Page, live_server, admin_user, roots) -> None:
    from mailserver.core.models import Change

    for target in ("control/concurrencyremote", "service qmail-submission/run"):
        Change.objects.create(
            username="postmaster-admin",
            node="mail-eu-west-1",
            target=target,
            action="write",
            result="conflict",
        )
    page.set_viewport_size({"width": 400, "height": 800})
    log_in(page, f"{live_server.url}/changes/")

    table = page.locator("main .table-responsive")
    expect(table.get_by_role("link", name="diff").first).to_be_visible()
    assert table.evaluate("box => box.scrollWidth <= box.clientWidth"), "the table scrolls sideways"
    for link in table.get_by_role("link", name="diff").all():
        box = link.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 400
    expect(table.get_by_text("write by postmaster-admin on mail-eu-west-1").first).to_be_visible()
