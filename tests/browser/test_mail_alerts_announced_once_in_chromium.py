"""The mail alerts strip is fetched again every minute; an unchanged alert is not put in again, so
a screen reader announces it once (it is role="alert"), while a change still shows."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from mailserver.core import agent
from mailserver.protocol import Op
from mailserver.qmail.paths import Roots

pytestmark = [pytest.mark.browser, pytest.mark.integration]

REFRESH = "() => htmx.ajax('GET', '/alerts/', {target: '#mail-alerts', swap: 'innerHTML'})"


def test_an_unchanged_alert_stays_put_and_a_cleared_one_goes(
    clam_scanning_with_clamd_down: Roots, logged_in_page: Page
) -> None:
    page = logged_in_page
    alert = page.get_by_test_id("mail-alert-danger")
    expect(alert).to_contain_text("clamd is not running")
    page.evaluate("() => { window.__shown = document.querySelector('[data-testid=mail-alert-danger]'); }")

    page.evaluate(REFRESH)  # the minute's refresh, now

    assert page.evaluate("() => document.querySelector('[data-testid=mail-alert-danger]') === window.__shown")
    agent.call(Op.SIMSCAN_WRITE, {"clam": False})
    page.evaluate(REFRESH)
    expect(alert).to_have_count(0)
