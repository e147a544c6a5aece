"""The Mail Queue page in a real Chromium over the real stack (Redis, the signed agent worker):
the snapshot's counts, Purge Remote asking with its count, and the counts changing on the page.
No Content-Security-Policy violation along the way (htmx only, no inline script or style)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from mailserver.qmail.paths import Roots
from tests.browser.test_accessibility_axe import axe_page, check, log_in, summary
from tests.support import queues

pytestmark = [pytest.mark.browser, pytest.mark.integration]

__all__ = ["axe_page"]  # the fixture, shared with the panel's other axe tests
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def snapshot_queue(roots: Roots) -> Iterator[Roots]:
    with queues.snapshot_queue(roots):
        yield roots


def counts(page: Page) -> dict[str, str]:
    names = ("local", "remote", "todo", "messages", "unprocessed")
    return {name: page.get_by_test_id(f"count-{name}").inner_text() for name in names}


def test_purging_remote_asks_with_the_count_and_the_counts_change(
    logged_in_page: Page, live_server, snapshot_queue: Roots
) -> None:
    page = logged_in_page
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{live_server.url}/mailserver/queue/")
    expect(page.get_by_test_id("count-remote")).to_have_text("20")
    assert counts(page) == {"local": "5", "remote": "20", "todo": "2", "messages": "27", "unprocessed": "2"}
    expect(page.locator("[data-testid^='row-']")).to_have_count(27)

    page.get_by_test_id("purge-remote").click()
    confirm = page.get_by_test_id("purge-confirm")
    expect(confirm).to_contain_text("20 messages will be deleted")
    expect(confirm).to_contain_text("purging deletes, it does not process")
    assert counts(page)["remote"] == "20"  # asking changed nothing

    page.get_by_test_id("purge-confirm-button").click()
    expect(page.get_by_test_id("stats-notice")).to_contain_text("20 messages deleted")
    expect(page.get_by_test_id("count-remote")).to_have_text("0")
    assert counts(page) == {"local": "5", "remote": "0", "todo": "2", "messages": "7", "unprocessed": "2"}
    expect(page.locator("[data-testid^='row-']")).to_have_count(7)  # the table reloaded itself
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "queue-page.png"), full_page=True)
    assert [*page.evaluate("window.__cspViolations"), *console] == []


def test_a_reset_asks_first_and_shows_its_seven_steps_and_the_queue_moved_aside(
    logged_in_page: Page, live_server, snapshot_queue: Roots
) -> None:
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/queue/")
    expect(page.get_by_test_id("moved-aside-none")).to_be_visible()
    page.get_by_test_id("reset-queue").click()
    expect(page.get_by_test_id("reset-confirm")).to_contain_text("never deleted")
    assert not list(snapshot_queue.qmail.glob("queue.bad-*"))  # asking moved nothing

    # Hold the reset back in the browser for a moment: the page follows it meanwhile, step by step.
    held: list[Route] = []
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/reset/progress/" in r.url else None)
    page.route("**/mailserver/queue/reset/", lambda route: held.append(route))
    page.get_by_test_id("reset-confirm-button").click()
    progress = page.get_by_test_id("reset-progress")
    expect(progress.locator("li")).to_have_count(7)
    expect(progress.locator("li[data-status='waiting']")).to_have_count(7)  # sent, not begun
    page.wait_for_timeout(2500)
    assert len(asked) >= 3  # on sending, then again every second
    held[0].continue_()
    expect(page.get_by_test_id("reset-steps").locator("li")).to_have_count(7)
    expect(page.get_by_test_id("reset-progress")).to_have_count(0)  # the answer replaced it
    moved = list(snapshot_queue.qmail.glob("queue.bad-*"))
    assert len(moved) == 1
    expect(page.get_by_test_id("moved-aside")).to_contain_text(f"{moved[0].name}: 27 messages")
    expect(page.get_by_test_id("count-messages")).to_have_text("0")  # the counts reloaded


def test_the_queue_page_in_every_state_an_admin_reaches_has_no_axe_violation(
    axe_page: Page, admin_user, snapshot_queue: Roots
) -> None:
    page = axe_page
    log_in(page)
    page.goto("/mailserver/queue/")
    report: dict[str, list[str]] = {}
    page.get_by_test_id("purge-remote").click()
    expect(page.get_by_test_id("purge-confirm")).to_be_visible()
    check(page, "queue: purge confirmation", report)
    page.get_by_test_id("check-queue").click()
    expect(page.get_by_test_id("check-summary")).to_be_visible()
    page.get_by_role("link", name="1466748").click()
    expect(page.get_by_test_id("queue-message")).to_contain_text("gone8@reject.example.com")
    page.get_by_label("Older than").fill("2 fortnights")
    page.get_by_test_id("filter-apply").click()
    expect(page.locator("#error_1_id_min_age")).to_be_visible()
    check(page, "queue: check, a message, a refused filter", report)
    page.get_by_role("link", name="Clear").click()
    page.locator("#row-1466748").check()
    page.get_by_test_id("delete-selected").click()
    expect(page.get_by_test_id("browse-confirm")).to_contain_text("1 message will be deleted")
    page.get_by_test_id("reset-queue").click()
    expect(page.get_by_test_id("reset-confirm")).to_be_visible()
    check(page, "queue: delete and reset confirmations", report)
    assert not report, summary(report)
