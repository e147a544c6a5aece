"""Cancel in the Mail Queue's confirmations takes the question away and touches nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from mailserver.qmail.paths import Roots
from tests.support import queues

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def snapshot_queue(roots: Roots) -> Iterator[Roots]:
    with queues.snapshot_queue(roots):
        yield roots


def test_cancelling_a_reset_takes_the_question_away(
    logged_in_page: Page, live_server, snapshot_queue
) -> None:
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/queue/")
    page.get_by_test_id("reset-queue").click()
    expect(page.get_by_test_id("reset-confirm")).to_contain_text("(27 messages) is moved aside")
    page.get_by_test_id("reset-cancel").click()
    expect(page.get_by_test_id("reset-confirm")).to_have_count(0)  # the link once only scrolled to the box
    expect(page.get_by_test_id("reset-queue")).to_be_visible()
    expect(page.get_by_test_id("moved-aside-none")).to_be_visible()  # nothing was moved aside
    expect(page.get_by_test_id("count-messages")).to_have_text("27")
