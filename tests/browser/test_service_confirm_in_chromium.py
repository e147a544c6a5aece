"""An admin presses Stop on a running qmail-send in Chromium: the card asks first, says what
stops working, and only the confirmation stops it; Cancel leaves it running. No CSP violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from mailserver.qmail import services
from mailserver.qmail.paths import Roots
from tests.support import stand_ins

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(e.violatedDirective));
"""


@pytest.fixture
def qmail_send_up(roots: Roots) -> Iterator[Roots]:
    with stand_ins.running_qmail_send(roots):
        yield roots


@pytest.fixture
def mta_page(qmail_send_up: Roots, page: Page, logged_in_page: Page) -> Page:
    page.add_init_script(RECORD_VIOLATIONS)
    page.reload()
    return page


def test_stop_asks_for_confirmation_and_says_what_stops_working(mta_page: Page, qmail_send_up: Roots) -> None:
    page, roots = mta_page, qmail_send_up
    card = page.get_by_test_id("service-qmail-send")
    expect(card.get_by_test_id("status-qmail-send")).to_have_text("up")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.get_by_test_id("section-primary").screenshot(path=str(SCREENSHOTS / "service-cards.png"))

    card.get_by_test_id("stop-qmail-send").click()
    confirm = page.get_by_test_id("service-qmail-send")
    expect(confirm.get_by_test_id("confirm-title")).to_have_text("Stop qmail-send?")
    expect(confirm.get_by_test_id("consequence")).to_contain_text(
        "No mail is delivered, local or remote: new mail waits in the queue"
    )
    expect(confirm.get_by_test_id("cancel-qmail-send")).to_be_focused()
    confirm.screenshot(path=str(SCREENSHOTS / "service-stop-confirmation.png"))
    assert services.read_status(roots, "qmail-send").up  # asking stopped nothing

    confirm.get_by_test_id("cancel-qmail-send").click()
    expect(page.get_by_test_id("status-qmail-send")).to_have_text("up")
    expect(page.get_by_test_id("state-line-qmail-send")).to_be_focused()  # not lost to the page's top
    assert services.read_status(roots, "qmail-send").up

    page.get_by_test_id("stop-qmail-send").click()
    page.get_by_test_id("confirm-down-qmail-send").click()
    expect(page.get_by_test_id("status-qmail-send")).to_have_text("down")
    assert not services.read_status(roots, "qmail-send").up
    expect(page).to_have_url(f"{page.url.split('/mailserver/')[0]}/mailserver/mta/")  # still on its page
    assert page.evaluate("window.__cspViolations") == []
