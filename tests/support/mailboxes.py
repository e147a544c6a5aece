"""A vpopmail mailbox in the test tree and messages put in its folders, for the Bayes training tests."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

OWNER = 1234  # vpopmail's mailboxes belong to one unprivileged user


def make_maildir(system: Path) -> Path:
    """alice@example.test's vpopmail Maildir under ``system`` (the tree's /), owned as vpopmail's are."""
    home = system / "home/vpopmail/domains/example.test/alice"
    for sub in ("cur", "new", "tmp"):
        (home / "Maildir" / sub).mkdir(parents=True, exist_ok=True)
    for path in (home, home / "Maildir", *(home / "Maildir").iterdir()):
        os.chown(path, OWNER, OWNER)
    return home / "Maildir"


def remove_mailboxes(system: Path) -> None:
    """The mailboxes, and the per-user Bayes databases spamd learned from them."""
    for tree in (system / "home/vpopmail", system / "var/lib/spamassassin/users"):
        if tree.exists():
            shutil.rmtree(tree)


def deliver(folder: Path, count: int, kind: str) -> None:
    """``count`` distinct messages of ``kind`` ("spam", "ham") into a Maildir folder, as a user would."""
    for number in range(count):
        message = folder / f"{int(time.time())}.{number}{kind}.host:2,S"
        words = " ".join(f"{kind}word{i} {kind}token{number}" for i in range(40))
        message.write_text(
            f"From: sender{number}@example.org\nTo: alice@example.test\nSubject: {kind} {number}\n"
            f"Message-ID: <{kind}{number}@example.org>\n"
            f"Date: Tue, 1 Dec 2026 10:00:0{number} +0000\n\n{words}\n"
        )
        os.chown(message, OWNER, OWNER)
