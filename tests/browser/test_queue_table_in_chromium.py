"""The Mail Queue's table as an admin reads it: a message opened from its number is brought into
view (it opens below the whole table), and on a phone the address columns stay readable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from mailserver.qmail.paths import Roots
from tests.support import queues

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PHONE = {"width": 400, "height": 800}
LAPTOP = {"width": 1100, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def snapshot_queue(roots: Roots) -> Iterator[Roots]:
    with queues.snapshot_queue(roots):
        yield roots


def column_width(page: Page, test_id: str) -> float:
    """The width of the Sender cell of a row."""
    return float(
        page.get_by_test_id(test_id).locator("td").nth(4).evaluate("td => td.getBoundingClientRect().width")
    )


def test_opening_a_message_from_the_first_row_shows_it(
    logged_in_page: Page, live_server, snapshot_queue
) -> None:
    page = logged_in_page
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/mailserver/queue/")
    first = page.get_by_role("link", name="1466767")
    first.scroll_into_view_if_needed()
    first.click()
    message = page.get_by_test_id("queue-message")
    expect(message).to_contain_text("Message 1466767")
    expect(message).to_be_in_viewport()  # 27 rows further down: the page scrolls to it


def test_on_a_phone_the_sender_column_is_not_squeezed_to_a_letter(
    logged_in_page: Page, live_server, snapshot_queue
) -> None:
    page = logged_in_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/mailserver/queue/")
    expect(page.get_by_test_id("row-1466767")).to_be_attached()
    assert column_width(page, "row-1466767") >= 150  # the table scrolls sideways instead
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # the table, not the page
    page.set_viewport_size(LAPTOP)
    assert column_width(page, "row-1466767") >= 150  # with the sidebar beside it
    page.set_viewport_size(DESKTOP)
    wide = page.locator("[data-testid=queue-table]").evaluate(
        "t => t.parentElement.scrollWidth <= t.parentElement.clientWidth"
    )
    assert wide  # at 1280 px the whole table fits
