"""An admin changes the spam score threshold in a real Chromium and finds it in local.cf and on reload.

The save goes through the signed agent worker to Debian's real SpamAssassin: linted, written,
and the spamd running under the session's svscan restarted.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility_axe import axe_page, check, log_in, summary  # noqa: F401
from tests.filters import conftest as daemons

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# tests/filters' real spamd, for this module (the fixtures are found by these names).
spamd_running = daemons.spamd_running
fresh_site = daemons.fresh_site
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
SAVE_WAIT = 30_000  # ms: lint (1.2 s) and spamd's restart, on a machine shared by many test runs


def test_admin_changes_the_spam_score_threshold_and_it_lands_in_local_cf(
    logged_in_page, live_server, fresh_site
):
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/spam/")
    box = page.get_by_test_id("section-settings")
    threshold = box.get_by_label("Spam score threshold (required_score)")
    expect(threshold).to_have_value("5.0")

    threshold.fill("6.5")
    box.get_by_test_id("save-settings").click()

    notice = page.get_by_test_id("section-settings").get_by_test_id("notice")
    expect(notice).to_contain_text("spamd was restarted", timeout=SAVE_WAIT)
    assert "required_score 6.5\n" in (fresh_site.site / "local.cf").read_text()
    page.reload()
    expect(
        page.get_by_test_id("section-settings").get_by_label("Spam score threshold (required_score)")
    ).to_have_value("6.5")
    page.get_by_test_id("gtube").click()
    expect(page.get_by_test_id("gtube-verdict")).to_contain_text(
        "against its threshold 6.5: spam", timeout=SAVE_WAIT
    )
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "spam-page.png"), full_page=True)


def test_a_lint_failure_is_shown_beside_advanced_preferences_and_the_input_kept(
    logged_in_page, live_server, fresh_site
):
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/spam/")
    box = page.get_by_test_id("section-settings")
    box.get_by_label("Advanced preferences").fill("score NWX_OK 1\nthis_is_no_directive 1")
    box.get_by_test_id("save-settings").click()

    box = page.get_by_test_id("section-settings")
    expect(box.locator("#div_id_settings-advanced .invalid-feedback")).to_contain_text(
        "Advanced preferences, line 2: failed to parse line", timeout=SAVE_WAIT
    )
    expect(box.get_by_label("Advanced preferences")).to_have_value("score NWX_OK 1\nthis_is_no_directive 1")
    assert not (fresh_site.site / "local.cf").exists()


def test_at_400_px_by_keyboard_one_save_names_every_bad_line_beside_the_white_list(
    logged_in_page, live_server, roots
):
    page = logged_in_page
    page.set_viewport_size({"width": 400, "height": 900})
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security" in message.text else None,
    )
    page.goto(f"{live_server.url}/mailserver/spam/")
    page.get_by_test_id("section-settings").get_by_label("White list").focus()
    page.keyboard.type("foo bar")
    page.keyboard.press("Enter")
    page.keyboard.type("ok@example.com")
    page.keyboard.press("Enter")
    page.keyboard.type("@@")
    while page.evaluate("document.activeElement.dataset.testid") != "save-settings":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    box = page.get_by_test_id("section-settings")
    expect(box.get_by_test_id("save-status-settings")).to_have_text("Not saved: 2 errors")
    errors = box.locator("#div_id_settings-whitelist .invalid-feedback p")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("Line 1 ('foo bar')")
    expect(errors.nth(1)).to_contain_text("Line 3 ('@@')")
    expect(box.get_by_label("White list")).to_be_focused()  # the first bad field takes the focus
    assert page.evaluate("document.documentElement.scrollWidth") <= 400  # nothing sticks out sideways
    assert violations == []


def test_the_spam_page_after_a_refused_save_and_a_gtube_test_has_no_violation(axe_page, admin_user, roots):  # noqa: F811
    log_in(axe_page)
    axe_page.goto("/mailserver/spam/")
    box = axe_page.get_by_test_id("section-settings")
    box.get_by_label("White list").fill("foo bar\n@@")
    box.get_by_label("Trusted networks").fill("300.1.2.3")
    box.get_by_test_id("save-settings").click()
    expect(axe_page.get_by_test_id("save-status-settings")).to_have_text("Not saved: 3 errors")
    axe_page.get_by_test_id("gtube").click()
    # Either answer is a verdict to check: whether a spamd answers depends on the suite's other
    # tests (a module's spamd may still run on the test server's port).
    verdict = re.compile(r"Not scored|spamd scored GTUBE")
    expect(axe_page.get_by_test_id("gtube-verdict")).to_contain_text(verdict)
    report: dict[str, list[str]] = {}
    check(axe_page, "Spam Filtering, refused and GTUBE tested", report)
    assert not report, summary(report)


# -- Train now: the box's last-run line follows the answer --------------------------------------
# Through the signed agent worker, on the test server. alice's Learn Spam folder is a symbolic link,
# which a run never follows: a failed run, which is what the line must show too (whether this
# module's real spamd and sa-learn are linked into the test server or not).


@pytest.fixture
def training_on(roots, settings):
    from mailserver.core import agent
    from mailserver.protocol import Op
    from tests.spam.conftest import site_of
    from tests.support.mailboxes import make_maildir, remove_mailboxes

    settings.TIME_ZONE = "Europe/Berlin"  # the panel's zone; the worker keeps the host's
    system = roots.system
    made = [p for p in (system / "etc/spamassassin", system / "var/lib/spamassassin") if not p.exists()]
    site_of(roots)
    (system / "var/lib/spamassassin").mkdir(parents=True, exist_ok=True)
    mailbox = make_maildir(system)
    agent.call(Op.SPAM_WRITE_TRAINING, {"enabled": True})
    shutil.rmtree(mailbox / ".Learn Spam")
    (mailbox / ".Learn Spam").symlink_to(mailbox / "cur")
    yield
    remove_mailboxes(system)
    agent.call(Op.SPAM_WRITE_TRAINING, {"enabled": False})
    for path in made:
        shutil.rmtree(path, ignore_errors=True)


def test_after_train_now_the_last_run_line_shows_that_run_and_it_is_read_out_once(
    logged_in_page, live_server, training_on
):
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/spam/")
    line = page.get_by_test_id("training-last-run")
    before = line.inner_text()  # "Not run yet: …", or a run of an earlier test
    assert "symbolic link" not in before

    page.get_by_test_id("train-now").click()

    answer = page.get_by_test_id("train-result")
    problem = (
        "alice@example.test: the training folders could not be made (a symbolic link or not a directory)"
    )
    expect(answer).to_contain_text(problem, timeout=SAVE_WAIT)
    # The line holds this run now, without a reload: its time in the panel's zone, and its failure.
    now = r"Last run \d{4}-\d\d-\d\d \d\d:\d\d \(Europe/Berlin\): 1 mailbox,\s+learned 0 spam and 0 ham\."
    expect(line).to_contain_text(re.compile(now))
    expect(line).to_contain_text(
        "alice@example.test: the training folders could not be made (a symbolic link"
    )
    expect(line).to_have_count(1)
    expect(answer).to_have_text(f"Learned 0 spam and 0 ham from 1 mailbox, with 1 problem: {problem}")
    # Said once: the answer is in the live region beside the button; the line is in none.
    live = page.locator("[role=status], [role=alert], [aria-live]").filter(has_text="Learned 0 spam")
    expect(live).to_have_count(1)
    assert line.evaluate("el => el.closest('[role=status], [role=alert], [aria-live]') === null")
