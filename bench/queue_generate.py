"""Generate an N-message qmail queue in qmail's exact format, from the real snapshot's messages.

    .venv/bin/python bench/queue_generate.py var/bench/queue --messages 100000   # ~2 min

The queue is made as qmail's install makes it (mailserver.qmail.queue.install: directories,
conf-split subdirectories, owners, modes, lock files), then filled as qmail-queue and qmail-send
would leave it (mailserver.qmail.queue.writer): every message is named by its mess file's inode.
Message N is a copy of one of the snapshot's 27 messages (round robin; the 2 not yet preprocessed
stay so), arriving at a random moment of the last 6 days, its retry times in the next hour. Every
tenth message instead comes from a sender at spam.example.net (``offer<N>@spam.example.net``),
so a bench can search for and delete exactly N/10 messages. Owners are the snapshot's numbers
(qmailq 1005, qmails 1007, qmailr 1006, group qmail 1002) unless the host has qmail's accounts.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailserver.qmail.queue import install  # noqa: E402
from mailserver.qmail.queue.install import Owners  # noqa: E402
from mailserver.qmail.queue.layout import Layout, discover  # noqa: E402
from mailserver.qmail.queue.records import Envelope, Recipient, parse_envelope  # noqa: E402
from mailserver.qmail.queue.writer import Draft, draft_of, write  # noqa: E402
from tests.support.queues import QMAIL, QMAILQ, QMAILR, QMAILS, extract_snapshot  # noqa: E402

SPAM_DOMAIN = "spam.example.net"
SIX_DAYS = 6 * 86400


def snapshot_drafts() -> list[Draft]:
    """The snapshot's 27 messages as drafts (its 2 unprocessed ones from their envelopes)."""
    with tempfile.TemporaryDirectory() as scratch:
        layout = discover(extract_snapshot(Path(scratch)))
        drafts = []
        for shard in layout.directories("info"):
            for name in sorted(p.name for p in shard.iterdir()):
                drafts.append(draft_of(layout, int(name)))
        for todo in sorted((layout.root / "todo").iterdir()):
            envelope: Envelope = parse_envelope(todo.read_bytes())
            mess = layout.path("mess", int(todo.name))
            drafts.append(
                Draft(
                    mess=mess.read_bytes(),
                    sender=envelope.sender,
                    birth=todo.stat().st_mtime,
                    remote=tuple(Recipient(r, False) for r in envelope.recipients),
                    preprocessed=False,
                    uid=envelope.uid or 0,
                    pid=envelope.pid or 1,
                    gid=mess.stat().st_gid,
                )
            )
        return drafts


def owners() -> Owners:
    try:
        return Owners.from_system()
    except Exception:
        return Owners(QMAILQ, QMAILS, QMAILR, QMAIL)


def generate(path: Path, count: int, *, seed: int = 8, now: float | None = None) -> Layout:
    """A new queue at ``path`` (which must not exist) holding ``count`` messages."""
    now = time.time() if now is None else now
    accounts = owners()
    layout = discover(install.create_queue(path, 23, accounts))
    drafts = snapshot_drafts()
    chance = random.Random(seed)
    for n in range(count):
        base = drafts[n % len(drafts)]
        birth = now - chance.uniform(60, SIX_DAYS)
        retry = {channel: now + chance.uniform(10, 3600) for channel in base.retry}
        sender = f"offer{n}@{SPAM_DOMAIN}" if n % 10 == 9 else base.sender
        write(layout, dataclasses.replace(base, sender=sender, birth=birth, retry=retry), accounts)
    return layout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("path", type=Path, help="the queue directory to create (must not exist)")
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args(argv)
    started = time.monotonic()
    generate(args.path, args.messages)
    print(f"{args.messages} messages in {args.path} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
