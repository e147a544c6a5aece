"""axe-core finds no WCAG 2 A/AA violation on the pages an admin meets when something is refused,
missing or out of date, nor on a change's page in each state of its restore box."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_accessibility_axe import DESKTOP, check, log_in, summary
from tests.support.browser import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def axe_page(browser: Browser, live_server) -> Iterator[Page]:
    # As test_accessibility_axe.py's: the policy bypassed so that axe can be injected, no transitions.
    context = browser.new_context(
        bypass_csp=True, reduced_motion="reduce", viewport=DESKTOP, base_url=live_server.url
    )
    yield context.new_page()
    context.close()


def test_not_found_not_allowed_and_out_of_date_pages(
    axe_page: Page, browser: Browser, live_server, admin_user
) -> None:
    from django.contrib.auth.models import User

    report: dict[str, list[str]] = {}
    log_in(axe_page)
    axe_page.goto("/changes/999999/")
    expect(axe_page.get_by_test_id("not-found")).to_be_visible()
    check(axe_page, "404", report)
    axe_page.context.clear_cookies()  # the form below is now from an earlier login
    axe_page.goto("/login/")
    axe_page.evaluate("() => { document.querySelector('input[name=csrfmiddlewaretoken]').value = 'stale'; }")
    axe_page.context.clear_cookies()
    axe_page.fill("#id_username", "admin")
    axe_page.fill("#id_password", PASSWORD)
    axe_page.click("button[type=submit]")
    expect(axe_page.get_by_test_id("csrf-failure")).to_be_visible()
    check(axe_page, "CSRF failure", report)

    User.objects.create_user("newcomer", password=PASSWORD)
    context = browser.new_context(bypass_csp=True, reduced_motion="reduce", base_url=live_server.url)
    refused = context.new_page()
    refused.goto("/login/")
    refused.fill("#id_username", "newcomer")
    refused.fill("#id_password", PASSWORD)
    refused.click("button[type=submit]")
    expect(refused.get_by_test_id("forbidden-reason")).to_be_visible()
    check(refused, "403, no group", report)
    context.close()
    assert not report, summary(report)


def test_a_change_page_whose_file_was_edited_by_hand_and_one_ready_to_restore(
    axe_page: Page, admin_user, roots
) -> None:
    from mailserver.core.models import Change

    log_in(axe_page)
    axe_page.goto("/mailserver/mta/")
    inbound = axe_page.get_by_test_id("section-inbound")
    inbound.get_by_label("Timeout").fill("600")
    inbound.get_by_test_id("save-inbound").click()
    expect(inbound.get_by_test_id("notice")).to_contain_text("timeoutsmtpd")
    change = Change.objects.get(target="control/timeoutsmtpd")
    report: dict[str, list[str]] = {}

    axe_page.goto(f"/changes/{change.pk}/")
    expect(axe_page.get_by_test_id("file-now-same")).to_be_visible()
    check(axe_page, "a change, ready to restore", report)
    roots.control("timeoutsmtpd").write_text("900\n")
    axe_page.reload()
    expect(axe_page.get_by_test_id("file-now-changed")).to_be_visible()
    check(axe_page, "a change, edited by hand since", report)
    assert not report, summary(report)
