"""An admin presses Stop on a running qmail-send in Chromium: the card asks first, says what
stops working, and only the confirmation stops it; Cancel or Escape leaves it running. A missing POP3 server
is set up from its card and gets Auto-Restart. With SMTP virus scanning on and clamd down, every
page shows the red warning. No CSP violation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from mailserver.qmail import services
from mailserver.qmail.paths import Roots
from mailserver.services import autorestart
from tests.support import daemons, stand_ins
from tests.support.browser import settled

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
    settled(page)  # its Cancel is htmx's: pressed before, it is a plain link that reloads the page
    confirm.screenshot(path=str(SCREENSHOTS / "service-stop-confirmation.png"))
    assert services.read_status(roots, "qmail-send").up  # asking stopped nothing

    confirm.get_by_test_id("cancel-qmail-send").click()
    expect(page.get_by_test_id("status-qmail-send")).to_have_text("up")
    expect(page.get_by_test_id("stop-qmail-send")).to_be_focused()  # back where it was, not the page's top
    assert services.read_status(roots, "qmail-send").up

    page.get_by_test_id("stop-qmail-send").click()
    page.get_by_test_id("confirm-down-qmail-send").click()
    expect(page.get_by_test_id("status-qmail-send")).to_have_text("down")
    assert not services.read_status(roots, "qmail-send").up
    expect(page).to_have_url(f"{page.url.split('/mailserver/')[0]}/mailserver/mta/")  # still on its page
    assert page.evaluate("window.__cspViolations") == []


def test_escape_cancels_a_confirmation_and_returns_to_the_button_that_opened_it(
    mta_page: Page, qmail_send_up: Roots
) -> None:
    page, roots = mta_page, qmail_send_up
    pid = services.read_status(roots, "qmail-send").pid
    page.get_by_test_id("restart-qmail-send").click()
    expect(page.get_by_test_id("confirm-title")).to_have_text("Restart qmail-send?")
    expect(page.get_by_test_id("cancel-qmail-send")).to_be_focused()
    settled(page)  # Escape on the Cancel the browser focused before htmx bound it reloads the page

    page.keyboard.press("Escape")  # it did nothing: the confirmation stayed open
    expect(page.get_by_test_id("confirm-title")).to_have_count(0)
    expect(page.get_by_test_id("status-qmail-send")).to_have_text("up")
    expect(page.get_by_test_id("restart-qmail-send")).to_be_focused()
    assert services.read_status(roots, "qmail-send").pid == pid  # not restarted

    page.get_by_test_id("stop-qmail-send").click()
    expect(page.get_by_test_id("cancel-qmail-send")).to_be_focused()
    settled(page)
    page.get_by_test_id("confirm-down-qmail-send").focus()  # from its other button too
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("stop-qmail-send")).to_be_focused()
    assert services.read_status(roots, "qmail-send").up
    assert page.evaluate("window.__cspViolations") == []


@pytest.fixture
def mda_page(roots: Roots, page: Page, logged_in_page: Page, live_server) -> Iterator[Page]:
    """The MDA page, on a server where qmail-pop3d-ssl is not set up (and is taken away again)."""
    daemons.remove_service(roots, "qmail-pop3d-ssl")
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{live_server.url}/mailserver/mda/")
    try:
        yield page
    finally:
        daemons.remove_service(roots, "qmail-pop3d-ssl")


def test_a_missing_service_is_set_up_then_gets_auto_restart(mda_page: Page, roots: Roots) -> None:
    page, name = mda_page, "qmail-pop3d-ssl"
    expect(page.get_by_test_id(f"why-{name}")).to_contain_text("Not set up on this server")
    switch = page.get_by_test_id(f"auto-restart-toggle-{name}")
    expect(switch).to_be_disabled()  # nothing to restart yet

    page.get_by_test_id(f"setup-{name}").click()
    expect(page.get_by_text(f"{name} is set up under daemontools, stopped")).to_be_visible()
    assert (roots.service_dir(name) / "down").exists()
    expect(page.get_by_test_id(f"status-{name}")).not_to_have_text("missing")

    page.get_by_test_id(f"auto-restart-toggle-{name}").click()
    box = page.get_by_test_id(f"auto-restart-{name}")
    expect(box.get_by_test_id(f"auto-restart-state-{name}")).to_have_text("on")
    expect(box.get_by_test_id(f"auto-restart-toggle-{name}")).to_have_text("Turn Auto-Restart off")
    assert (roots.service_dir(name) / autorestart.FLAG).is_file()
    SCREENSHOTS.mkdir(exist_ok=True)
    box.screenshot(path=str(SCREENSHOTS / "service-auto-restart.png"))
    page.reload()
    expect(page.get_by_test_id(f"auto-restart-state-{name}")).to_have_text("on")
    assert page.evaluate("window.__cspViolations") == []


def test_every_page_shows_the_red_warning_when_mail_is_refused(
    clam_scanning_with_clamd_down: Roots, page: Page, logged_in_page: Page
) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    page.reload()  # the MTA page: the warning is loaded after it, by htmx
    alert = page.get_by_test_id("mail-alert-danger")
    expect(alert).to_contain_text("clamd is not running: incoming mail is refused")
    alert.get_by_test_id("mail-alert-link").click()
    expect(page).to_have_url(re.compile(r"/mailserver/virus/$"))
    expect(page.get_by_test_id("mail-alert-danger")).to_be_visible()
    assert page.evaluate("window.__cspViolations") == []
