"""Train now's answer brings the box's last-run line with it: the run just made, in the panel's zone.

The agent's operations run in process; the test tree has no sa-learn, so a run over a mailbox with
mail in its Learn Spam folder is a failed run (setuidgid cannot run it), recorded as the daily job
records it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest

from mailserver.agent.training import RECORD
from mailserver.qmail.paths import Roots
from tests.spam.helpers import post_section
from tests.support.mailboxes import deliver, make_maildir, remove_mailboxes

pytestmark = pytest.mark.django_db

TRAIN_NOW = "/mailserver/spam/train-now/"


@pytest.fixture
def roots(agent_in_process: Roots) -> Roots:
    return agent_in_process


@pytest.fixture
def record() -> Iterator[Path]:
    """The agent's record of the last run, taken away afterwards (other tests expect none)."""
    from mailserver.agent.celeryapp import settings

    path = settings.state_dir / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = path.read_bytes() if path.exists() else None
    path.unlink(missing_ok=True)
    yield path
    if kept is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(kept)


@pytest.fixture
def mailbox(roots: Roots, site: Path) -> Iterator[Path]:
    """alice's Maildir, and spamd's home (Debian's /var/lib/spamassassin) for her Bayes database."""
    assert not (roots.system / "usr/bin/sa-learn").exists()  # the failed runs below are sa-learn's absence
    home = roots.system / "var/lib/spamassassin"
    made = not home.exists()
    home.mkdir(parents=True, exist_ok=True)
    yield make_maildir(roots.system)
    remove_mailboxes(roots.system)
    if made:
        shutil.rmtree(home, ignore_errors=True)


def last_run(html: str) -> tuple[str, str]:
    """The last-run paragraph's opening tag and its text, spaces folded."""
    found = re.search(r'(<p[^>]*data-testid="training-last-run"[^>]*>)(.*?)</p>', html, re.S)
    assert found is not None, html
    return found[1], " ".join(unescape(re.sub(r"<[^>]+>", " ", found[2])).split())


def test_train_nows_answer_brings_the_line_of_the_run_just_made_in_the_panels_zone(
    admin_client, mailbox, record, settings
):
    settings.TIME_ZONE = "Europe/Berlin"
    post_section(admin_client, "training", imap_training=True)
    record.write_text('{"at": 1795600000, "mailboxes": 1, "folders_created": 0, '
                      '"learned": {"spam": 7, "ham": 3}, "discarded": 0, "errors": []}')  # fmt: skip
    page = admin_client.get("/mailserver/spam/").content.decode()
    assert last_run(page)[1].startswith(
        "Last run 2026-11-25 10:46 (Europe/Berlin): 1 mailbox, learned 7 spam"
    )

    html = admin_client.post(TRAIN_NOW, HTTP_HX_REQUEST="true").content.decode()

    tag, text = last_run(html)
    assert 'hx-swap-oob="true"' in tag and 'id="training-last-run"' in tag  # it replaces the box's line
    assert "role=" not in tag and "aria-live" not in tag  # read out once: by the answer beside the button
    assert re.fullmatch(r"Last run \d{4}-\d\d-\d\d \d\d:\d\d \(Europe/Berlin\): 1 mailbox, learned 0 spam "
                        r"and 0 ham\.", text), text  # fmt: skip
    assert "2026-11-25" not in text
    assert 'data-testid="train-result">Learned 0 spam and 0 ham from 1 mailbox.</span>' in html
    assert last_run(admin_client.get("/mailserver/spam/").content.decode())[1] == text  # as a reload shows


def test_a_run_sa_learn_failed_says_so_beside_the_button_and_in_the_line(admin_client, mailbox, record):
    post_section(admin_client, "training", imap_training=True)
    deliver(mailbox / ".Learn Spam/new", 1, "spam")

    html = admin_client.post(TRAIN_NOW, HTTP_HX_REQUEST="true").content.decode()

    answer = re.search(r'<span class="text-danger" data-testid="train-result">([^<]*)</span>', html)
    assert answer is not None, html
    assert answer[1].startswith(
        "Learned 0 spam and 0 ham from 1 mailbox, with 1 problem: alice@example.test: Learn Spam: "
        "setuidgid: fatal: unable to run "
    )
    text = last_run(html)[1]
    assert text.startswith("Last run ") and "1 mailbox, learned 0 spam and 0 ham." in text
    assert "alice@example.test: Learn Spam: setuidgid: fatal: unable to run " in text


def test_without_javascript_the_page_shows_the_new_run_and_a_failed_one_as_a_warning(
    admin_client, mailbox, record
):
    post_section(admin_client, "training", imap_training=True)
    deliver(mailbox / ".Learn Spam/new", 1, "spam")

    response = admin_client.post(TRAIN_NOW, follow=True)

    html = response.content.decode()
    text = last_run(html)[1]
    assert (
        "1 mailbox, learned 0 spam and 0 ham." in text
        and "Learn Spam: setuidgid: fatal: unable to run" in text
    )
    (message,) = list(response.context["messages"])
    assert message.level_tag == "warning"
    assert str(message).startswith("Learned 0 spam and 0 ham from 1 mailbox, with 1 problem: ")


def test_when_the_run_is_refused_the_line_keeps_the_last_run_on_record(admin_client, site, record):
    record.write_text('{"at": 1795600000, "mailboxes": 1, "folders_created": 0, '
                      '"learned": {"spam": 7, "ham": 3}, "discarded": 0, "errors": []}')  # fmt: skip

    html = admin_client.post(TRAIN_NOW, HTTP_HX_REQUEST="true").content.decode()  # training is off

    assert "Not trained: Bayes IMAP training is off: turn it on first." in html
    assert "training-last-run" not in html  # the box's line stays as it was: that run is still the last


def test_a_run_that_cannot_make_spamds_directory_is_a_failed_run_not_an_error(
    admin_client, mailbox, record, roots
):
    shutil.rmtree(roots.system / "var/lib/spamassassin")  # spamd's home is missing
    post_section(admin_client, "training", imap_training=True)

    html = admin_client.post(TRAIN_NOW, HTTP_HX_REQUEST="true").content.decode()

    assert "Not trained" not in html  # it was: the operation failed, and the line kept the run before
    text = last_run(html)[1]
    assert "1 mailbox, learned 0 spam and 0 ham." in text
    assert (
        "alice@example.test: spamd's Bayes directory could not be made (No such file or directory: " in text
    )
