"""The Mail Queue by keyboard alone: each action's answer replaces its box, and with it the button
that had the focus. The focus goes to the answer (the question, the notice, the message opened),
and Cancel gives it back to the button that asked; it never falls to the top of the page.
The filter, sort and page of the table are in the address bar, so Reload and Back keep them."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from mailserver.qmail.paths import Roots
from tests.support import queues

pytestmark = [pytest.mark.browser, pytest.mark.integration]

FOCUSED = "() => { const e = document.activeElement; return e.dataset.testid || e.id || e.tagName; }"


@pytest.fixture
def snapshot_queue(roots: Roots) -> Iterator[Roots]:
    with queues.snapshot_queue(roots):
        yield roots


def focused(page: Page) -> str:
    return str(page.evaluate(FOCUSED))


def press(page: Page, test_id: str) -> None:
    page.get_by_test_id(test_id).focus()
    page.keyboard.press("Enter")


def test_purge_by_keyboard_keeps_the_focus_on_the_question_then_on_the_notice(
    logged_in_page: Page, live_server, snapshot_queue
) -> None:
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/queue/")
    press(page, "purge-remote")
    expect(page.get_by_test_id("purge-confirm")).to_be_focused()  # it fell to <body> before
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("purge-confirm-button")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Cancel: back on the button that asked
    expect(page.get_by_test_id("purge-confirm")).to_have_count(0)
    expect(page.get_by_test_id("purge-remote")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("purge-confirm")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("stats-notice")).to_contain_text("20 messages deleted")
    expect(page.get_by_test_id("stats-notice")).to_be_focused()


def test_a_message_opened_by_keyboard_takes_the_focus_and_deleting_ticked_rows_too(
    logged_in_page: Page, live_server, snapshot_queue
) -> None:
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/queue/")
    page.locator("#open-1466748").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("queue-message")).to_be_focused()  # not left in the table far above
    expect(page.get_by_test_id("queue-message")).to_contain_text("gone8@reject.example.com")

    page.locator("#row-1466748").focus()
    page.keyboard.press("Space")
    press(page, "delete-selected")
    expect(page.get_by_test_id("browse-confirm")).to_be_focused()
    expect(page.get_by_test_id("confirm-count")).to_have_text("1 message will be deleted")
    page.get_by_test_id("browse-cancel").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("delete-selected")).to_be_focused()


def test_the_reset_and_the_check_answer_where_the_focus_is(
    logged_in_page: Page, live_server, snapshot_queue
) -> None:
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/queue/")
    press(page, "check-queue")
    expect(page.get_by_test_id("check-summary")).to_be_focused()
    press(page, "reset-queue")
    expect(page.get_by_test_id("reset-confirm")).to_be_focused()
    press(page, "reset-cancel")
    expect(page.get_by_test_id("reset-confirm")).to_have_count(0)
    expect(page.get_by_test_id("reset-queue")).to_be_focused()


def test_a_filtered_sorted_table_is_in_the_address_bar_and_survives_a_reload(
    logged_in_page: Page, live_server, snapshot_queue
) -> None:
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/queue/")
    page.locator("#id_sender").fill("alice@example.test")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("browse-summary")).to_contain_text("matching the filter")
    expect(page.locator("#id_sender")).to_be_focused()
    expect(page).to_have_url(re.compile(r"/mailserver/queue/\?sender=alice%40example\.test$"))
    press(page, "sort-size")
    expect(page.get_by_test_id("sort-size")).to_be_focused()  # the header link that was pressed
    expect(page).to_have_url(re.compile(r"\?sender=alice%40example\.test&sort=size&desc=1$"))
    shown = page.get_by_test_id("browse-summary").inner_text()
    page.reload()
    expect(page.get_by_test_id("browse-summary")).to_have_text(shown)
    expect(page.locator("#id_sender")).to_have_value("alice@example.test")
