"""Bayes IMAP training with Debian's real sa-learn: folders in every mailbox, the daily limit, emptied after.

A vpopmail mailbox in the test tree gets "Learn Spam" and "Learn Ham"; what is put there is
learned into that user's own Bayes database (spamd's virtual config directory) or the global
one, as sa-learn's own ``--dump magic`` confirms.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from mailserver.agent.config import load
from mailserver.agent.training import RECORD, daily_training, last_run
from mailserver.core import agent
from mailserver.protocol import Op
from tests.support.mailboxes import OWNER, deliver, make_maildir, remove_mailboxes

pytestmark = pytest.mark.integration


@pytest.fixture
def mailbox(spamd_running) -> Path:
    yield make_maildir(spamd_running.roots.system)
    remove_mailboxes(spamd_running.roots.system)
    agent.call(Op.SPAM_WRITE_TRAINING, {"enabled": False})


def magic(spamd_running, dbpath: str) -> dict[str, int]:
    done = subprocess.run(
        ["/usr/bin/setuidgid", "debian-spamd", "/usr/bin/sa-learn", f"--siteconfigpath={spamd_running.site}",
         f"--dbpath={dbpath}", "--dump", "magic"],
        capture_output=True, text=True, timeout=120, check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    )  # fmt: skip
    found = {}
    for line in done.stdout.splitlines():
        parts = line.split()
        if "non-token" in line:
            found[parts[-1]] = int(parts[2])
    return found


def test_turning_training_on_makes_both_folders_in_every_mailbox(mailbox):
    answer = agent.call(Op.SPAM_WRITE_TRAINING, {"enabled": True, "learn_limit": 2})
    assert answer["folders_created"] == 2
    for folder in ("Learn Spam", "Learn Ham"):
        path = mailbox / f".{folder}"
        assert {p.name for p in path.iterdir()} == {"cur", "new", "tmp", "maildirfolder"}
        assert path.stat().st_uid == OWNER and (path / "cur").stat().st_uid == OWNER
    assert (mailbox / "courierimapsubscribed").read_text() == "INBOX.Learn Spam\nINBOX.Learn Ham\n"
    state = answer["state"]
    assert (state["enabled"], state["limit"]) == (True, 2)


def test_at_most_the_limit_is_learned_per_folder_then_the_folders_are_emptied(spamd_running, mailbox):
    agent.call(Op.SPAM_WRITE_TRAINING, {"enabled": True, "learn_limit": 2})
    deliver(mailbox / ".Learn Spam/new", 3, "spam")
    deliver(mailbox / ".Learn Ham/cur", 1, "ham")

    run = agent.call(Op.SPAM_TRAIN_NOW, timeout=120)["run"]

    assert run["errors"] == []
    assert run["learned"] == {"spam": 2, "ham": 1} and run["discarded"] == 1
    for folder in ("Learn Spam", "Learn Ham"):
        assert [p for sub in ("cur", "new") for p in (mailbox / f".{folder}" / sub).iterdir()] == []
    user_dir = spamd_running.roots.system / "var/lib/spamassassin/users/alice@example.test"
    assert magic(spamd_running, f"{user_dir}/bayes") == {
        **magic(spamd_running, f"{user_dir}/bayes"),
        "nspam": 2,
        "nham": 1,
    }


def test_with_the_global_database_everything_is_learned_there(spamd_running, mailbox):
    agent.call(Op.SPAM_WRITE, {"settings": {"bayes_global": True}}, timeout=60)
    try:
        agent.call(Op.SPAM_WRITE_TRAINING, {"enabled": True, "learn_limit": 5})
        deliver(mailbox / ".Learn Spam/cur", 2, "spam")
        run = agent.call(Op.SPAM_TRAIN_NOW, timeout=120)["run"]
        assert run["learned"]["spam"] == 2
        bayes = spamd_running.roots.system / "var/lib/spamassassin/bayes/bayes"
        assert magic(spamd_running, str(bayes))["nspam"] == 2
        assert not (
            spamd_running.roots.system / "var/lib/spamassassin/users/alice@example.test/bayes_toks"
        ).exists()
    finally:
        agent.call(Op.SPAM_WRITE, {"settings": {"bayes_global": False}}, timeout=60)


def test_the_watchdogs_daily_job_runs_once_a_day_at_its_hour(spamd_running, mailbox, monkeypatch):
    agent.call(Op.SPAM_WRITE_TRAINING, {"enabled": True})
    config = load()
    now = time.time()
    monkeypatch.setenv("NODEWORX_TRAINING_HOUR", str(time.localtime(now).tm_hour))
    job = daily_training(config)
    (config.state_dir / RECORD).unlink(missing_ok=True)  # no run yet today
    job(now)
    first = last_run(config)
    assert first and first["at"] >= now
    job(now + 60)
    assert last_run(config) == first  # done today already


def test_a_learn_spam_folder_that_is_a_link_is_never_followed(spamd_running, mailbox):
    agent.call(Op.SPAM_WRITE_TRAINING, {"enabled": True})
    elsewhere = spamd_running.roots.system / "elsewhere"
    (elsewhere / "cur").mkdir(parents=True, exist_ok=True)
    (elsewhere / "cur" / "precious").write_text("not mail\n")
    spam = mailbox / ".Learn Spam"
    subprocess.run(["rm", "-rf", str(spam)], check=True)
    spam.symlink_to(elsewhere)
    run = agent.call(Op.SPAM_TRAIN_NOW, timeout=120)["run"]
    assert run["errors"] == [
        "alice@example.test: the training folders could not be made (a symbolic link or not a directory)"
    ]
    assert (elsewhere / "cur" / "precious").read_text() == "not mail\n"
    subprocess.run(["rm", "-rf", str(elsewhere)], check=True)


def test_asking_for_the_settings_the_daily_job_already_reads_writes_nothing(spamd_running, mailbox):
    path = spamd_running.site / "nodeworx-imap-training"
    path.unlink(missing_ok=True)  # the daily job's defaults: off, 50 a day

    answer = agent.call(Op.SPAM_WRITE_TRAINING, {"enabled": False, "learn_limit": 50, "expect": None})

    assert (answer["changes"], answer["folders_created"]) == ([], 0)
    assert not path.exists() and not (mailbox / ".Learn Spam").exists()
    try:
        answer = agent.call(Op.SPAM_WRITE_TRAINING, {"learn_limit": 60, "expect": None})  # a real change
        assert [change["target"] for change in answer["changes"]] == ["spamassassin nodeworx-imap-training"]
        assert path.read_text().endswith("ENABLED=no\nLIMIT=60\n")
    finally:
        path.unlink(missing_ok=True)
