"""A save, a service button or a queue tool whose request failed says so in its box, in Chromium.

htmx swaps no error answer: a 500 from the panel, a 502 from the web server in front of it or a
dropped connection changed nothing on the screen, and a Save or a Purge looked like a silent success.
Playwright's ``page.route`` answers the browser's request the way a failing panel or network does.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Route, expect

from mailserver.qmail import services
from mailserver.qmail.paths import Roots
from tests.browser.test_accessibility_axe import axe_page, check, log_in, summary
from tests.browser.test_spam_in_chromium import training_on
from tests.support import queues, stand_ins

pytestmark = [pytest.mark.browser, pytest.mark.integration]
# The fixtures of the axe tests and of the Spam page (Bayes IMAP training on, with a mailbox).
__all__ = ["axe_page", "training_on"]


def fail_posts(page: Page, how: str) -> None:
    """Every POST from now on gets ``how``: an HTTP status, or "abort" (no answer at all)."""

    def answer(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
        elif how == "abort":
            route.abort("connectionreset")
        else:
            route.fulfill(status=int(how), content_type="text/html", body="<h1>Server Error</h1>")

    page.route("**/*", answer)


def test_a_save_the_panel_failed_says_it_is_not_confirmed_and_keeps_the_input(
    logged_in_page: Page, roots: Roots
) -> None:
    page = logged_in_page
    page.set_viewport_size({"width": 400, "height": 800})  # a phone: the Save is far below the box's top
    inbound = page.get_by_test_id("section-inbound")
    inbound.get_by_label("Timeout").fill("600")
    fail_posts(page, "500")

    inbound.get_by_test_id("save-inbound").click()

    failed = inbound.get_by_test_id("request-failed")
    expect(failed).to_contain_text("Not confirmed: the panel failed (HTTP 500).")
    expect(failed).to_contain_text("Whether it was done is not known: look at Recent changes")
    expect(failed).to_contain_text("What you typed is kept here.")
    expect(failed.get_by_role("link", name="Recent changes")).to_have_attribute("href", "/changes/")
    expect(failed).to_be_focused()
    expect(failed).to_be_in_viewport()
    expect(inbound.get_by_label("Timeout")).to_have_value("600")
    expect(inbound.get_by_test_id("save-inbound")).to_be_enabled()
    expect(inbound.locator(".spinner-when-busy")).to_be_hidden()  # "Saving…" stopped
    expect(page.get_by_test_id("unsaved-inbound")).to_be_visible()  # still not on the server, as far as known
    assert not roots.control("timeoutsmtpd").exists()


@pytest.fixture
def qmail_send_up(roots: Roots) -> Iterator[Roots]:
    with stand_ins.running_qmail_send(roots):
        yield roots


def test_a_service_button_with_no_answer_says_the_panel_could_not_be_reached(
    logged_in_page: Page, live_server, qmail_send_up: Roots
) -> None:
    page = logged_in_page
    page.reload()
    page.get_by_test_id("stop-qmail-send").click()
    card = page.get_by_test_id("service-qmail-send")
    expect(card.get_by_test_id("confirm-title")).to_have_text("Stop qmail-send?")
    fail_posts(page, "abort")

    card.get_by_test_id("confirm-down-qmail-send").click()

    failed = card.get_by_test_id("request-failed")
    expect(failed).to_contain_text("Not confirmed: the panel could not be reached (no answer")
    expect(failed).to_contain_text("reload the page before trying again")
    expect(failed).not_to_contain_text("What you typed")  # nothing was: it is a button
    expect(failed).to_be_focused()
    expect(card.get_by_test_id("confirm-down-qmail-send")).to_be_enabled()  # it can be pressed again
    assert services.read_status(qmail_send_up, "qmail-send").up  # the request never reached the panel


@pytest.fixture
def snapshot_queue(roots: Roots) -> Iterator[Roots]:
    with queues.snapshot_queue(roots):
        yield roots


def test_a_purge_behind_a_proxy_answering_502_says_so_in_the_statistics_box(
    logged_in_page: Page, live_server, snapshot_queue: Roots
) -> None:
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/queue/")
    page.get_by_test_id("purge-remote").click()
    expect(page.get_by_test_id("purge-confirm")).to_contain_text("20 messages will be deleted")
    fail_posts(page, "502")

    page.get_by_test_id("purge-confirm-button").click()

    stats = page.get_by_test_id("queue-stats")
    failed = stats.get_by_test_id("request-failed")
    expect(failed).to_contain_text("Not confirmed: the panel could not be reached (HTTP 502")
    expect(failed).to_contain_text("the panel may be restarting")
    expect(failed).to_be_focused()
    expect(page.get_by_test_id("purge-confirm-button")).to_be_enabled()
    expect(stats.locator(".spinner-when-busy")).to_be_hidden()  # "Purging…" stopped
    expect(page.get_by_test_id("count-remote")).to_have_text("20")  # nothing was purged: it never arrived

    page.get_by_test_id("purge-confirm-button").click()  # pressed again: a second failure replaces the first
    expect(stats.get_by_test_id("request-failed")).to_have_count(1)

    page.unroute("**/*")  # the panel is back: the box's answer replaces the note
    page.get_by_test_id("purge-confirm-button").click()
    expect(page.get_by_test_id("stats-notice")).to_contain_text("20 messages deleted")
    expect(page.get_by_test_id("request-failed")).to_have_count(0)


def test_train_now_cut_off_by_the_proxy_says_so_beside_the_button_once(
    logged_in_page: Page, live_server, training_on
) -> None:
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/spam/")
    fail_posts(page, "504")

    page.get_by_test_id("train-now").click()

    failed = page.get_by_test_id("request-failed")
    expect(failed).to_contain_text("Not confirmed: the panel could not be reached (HTTP 504")
    expect(failed).to_be_focused()
    # Read out once: an alert of its own, not inside the answer's live region beside it as well.
    outside = "el => el.parentElement.closest('[role=status], [role=alert], [aria-live]') === null"
    assert failed.evaluate(outside)
    expect(page.get_by_test_id("train-now")).to_be_enabled()  # not pressed twice while it ran; free again
    expect(page.locator(".spinner-when-busy", has_text="Training…")).to_be_hidden()


def test_a_read_with_no_answer_says_it_could_not_be_read_and_nothing_changed(
    logged_in_page: Page, live_server, qmail_send_up: Roots
) -> None:
    page = logged_in_page
    page.reload()
    page.route("**/*", lambda route: route.abort() if route.request.method == "GET" else route.continue_())

    page.get_by_test_id("stop-qmail-send").click()  # Stop… only asks: a read

    card = page.get_by_test_id("service-qmail-send")
    failed = card.get_by_test_id("request-failed")
    expect(failed).to_contain_text("Could not be read: the panel could not be reached")
    expect(failed).to_contain_text("Nothing was changed; try again.")
    expect(failed).to_be_focused()
    expect(card.get_by_test_id("stop-qmail-send")).to_be_enabled()


def test_a_mail_logs_report_with_no_answer_stops_its_bar_and_says_so_focused(
    logged_in_page: Page, live_server, roots: Roots
) -> None:
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/logs/")
    page.route("**/mailserver/logs/run/**", lambda route: route.abort("connectionreset"))

    page.get_by_test_id("run-report").click()

    said = page.get_by_test_id("run-error")
    expect(said).to_contain_text("The report did not come back (no answer)")
    expect(said).to_be_focused()
    expect(page.get_by_test_id("report-progress")).to_have_count(0)  # no more progress reads
    expect(page.get_by_test_id("request-failed")).to_have_count(0)  # said once, in the report's words
    expect(page.get_by_test_id("run-report")).to_be_enabled()


def test_the_mail_alerts_strip_that_could_not_be_read_says_so_quietly(
    logged_in_page: Page, live_server, roots: Roots
) -> None:
    page = logged_in_page
    page.route("**/alerts/", lambda route: route.fulfill(status=503, body="Service Unavailable"))

    page.goto(f"{live_server.url}/mailserver/mta/")  # the strip reads itself as the page loads

    failed = page.get_by_test_id("mail-alerts").get_by_test_id("request-failed")
    expect(failed).to_contain_text("Could not be read: the panel could not be reached (HTTP 503")
    expect(failed).to_contain_text("What is shown here may be out of date.")
    expect(failed).not_to_be_focused()  # nobody asked: the page's own read takes no focus
    assert failed.get_attribute("role") is None  # nor interrupts a screen reader, every minute


def test_the_route_tester_that_failed_says_it_could_not_be_read_not_that_a_change_is_unknown(
    logged_in_page: Page, roots: Roots
) -> None:
    page = logged_in_page
    tester = page.locator("#route-test-result")
    tester.get_by_role("textbox").fill("user@example.com")
    fail_posts(page, "500")

    tester.get_by_role("button", name="Test route").click()

    failed = page.get_by_test_id("request-failed")
    expect(failed).to_have_text(
        "Could not be read: the panel failed (HTTP 500). Nothing was changed; try again."
    )
    expect(failed).to_be_focused()
    expect(tester.get_by_role("textbox")).to_have_value("user@example.com")


def test_the_mta_page_with_a_failed_save_and_a_failed_service_button_has_no_axe_violation(
    axe_page: Page, admin_user, qmail_send_up: Roots
) -> None:
    page = axe_page
    log_in(page)
    page.goto("/mailserver/mta/")
    page.get_by_test_id("stop-qmail-send").click()
    expect(page.get_by_test_id("confirm-title")).to_have_text("Stop qmail-send?")
    fail_posts(page, "500")
    page.get_by_test_id("section-inbound").get_by_test_id("save-inbound").click()
    expect(page.get_by_test_id("section-inbound").get_by_test_id("request-failed")).to_be_visible()
    page.get_by_test_id("confirm-down-qmail-send").click()
    expect(page.get_by_test_id("service-qmail-send").get_by_test_id("request-failed")).to_be_visible()
    report: dict[str, list[str]] = {}
    check(page, "mta: a failed save and a failed Stop", report)
    assert not report, summary(report)
