"""The MTA and Mail Logs pages work in Chromium under the Content-Security-Policy, with no violation.

Every violation the browser reports (securitypolicyviolation events and console messages) is
collected; the last test shows the collector works and that the policy stops an injected handler.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile);
});
"""


@pytest.fixture
def watched_page(page: Page) -> tuple[Page, list[str]]:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(RECORD_VIOLATIONS)
    return page, console


def _violations(page: Page, console: list[str]) -> list[str]:
    return [*page.evaluate("window.__cspViolations"), *console]


def _log_in(page: Page, live_server) -> None:
    log_in(page, f"{live_server.url}/mailserver/mta/")


def test_the_mta_page_and_its_htmx_saves_raise_no_violation(watched_page, live_server, admin_user, roots):
    page, console = watched_page
    _log_in(page, live_server)
    assert _violations(page, console) == []

    inbound = page.get_by_test_id("section-inbound")
    inbound.get_by_label("Timeout").fill("20x")
    inbound.get_by_test_id("save-inbound").click()
    expect(page.get_by_test_id("section-inbound").locator(".invalid-feedback")).to_contain_text("20x")

    page.get_by_test_id("section-inbound").get_by_label("Timeout").fill("600")
    page.get_by_test_id("section-inbound").get_by_test_id("save-inbound").click()
    expect(page.get_by_test_id("section-inbound").get_by_test_id("notice")).to_contain_text("timeoutsmtpd")
    assert roots.control("timeoutsmtpd").read_text() == "600\n"
    page.get_by_label("Recipient address").fill("bob@sink.example.net")
    page.get_by_role("button", name="Test route").click()
    expect(page.get_by_test_id("route-result")).to_contain_text("127.0.0.1")
    assert _violations(page, console) == []


def test_the_mail_logs_page_draws_its_chart_with_no_violation(watched_page, live_server, admin_user, roots):
    page, console = watched_page
    _log_in(page, live_server)
    page.get_by_role("link", name="Mail Logs").click()
    page.wait_for_url("**/mailserver/logs/")
    page.locator("#id_preset").select_option("range")
    page.get_by_label("Start", exact=True).fill("1795613580")
    page.get_by_label("End", exact=True).fill("1795613700")
    page.locator("#id_report").select_option("show-all")
    page.get_by_test_id("run-report").click()
    expect(page.get_by_test_id("delivery-chart")).to_have_attribute("data-drawn", "true")
    page.get_by_test_id("timeline-link").first.click()
    expect(page.get_by_test_id("timeline")).to_be_visible()
    assert _violations(page, console) == []


def test_the_policy_stops_an_injected_event_handler(watched_page, live_server, admin_user, roots):
    page, console = watched_page
    _log_in(page, live_server)
    page.evaluate(
        """document.body.insertAdjacentHTML("beforeend",
             '<img id="injected" src="data:," onerror="window.__ran = true">')"""
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in _violations(page, console))


def test_two_factor_enrolment_and_login_work_under_the_policy(watched_page, live_server, admin_user, roots):
    import time

    from mailserver.core.security import totp

    page, console = watched_page
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/account/two-factor/")
    qr = page.get_by_test_id("totp-qr")
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('[data-testid=totp-qr]').naturalWidth") > 0
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Code from your authenticator app").fill(totp.totp(totp.key_of(secret), time.time()))
    page.get_by_test_id("confirm-totp").click()
    expect(page.get_by_test_id("two-factor-on")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    log_in(page, f"{live_server.url}/mailserver/mta/", lands_on="**/login/code/")
    next_code = totp.totp(totp.key_of(secret), time.time() + totp.STEP)  # enrolment used the current one
    page.get_by_label("Code from your authenticator app").fill(next_code)
    page.get_by_test_id("submit-code").click()
    page.wait_for_url(f"{live_server.url}/mailserver/mta/")
    assert _violations(page, console) == []
