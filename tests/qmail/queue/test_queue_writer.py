"""Queues the project writes (bench, tests) are in qmail's exact format."""

from __future__ import annotations

import os

from mailserver.qmail.queue import index, install, listing, qread
from mailserver.qmail.queue.check import check
from mailserver.qmail.queue.install import Owners
from mailserver.qmail.queue.layout import discover
from mailserver.qmail.queue.writer import draft_of, write
from tests.support.queues import QMAIL, QMAILQ, QMAILR, QMAILS, SNAPSHOT_NOW, pattern

OWNERS = Owners(QMAILQ, QMAILS, QMAILR, QMAIL)


def test_a_copy_of_the_snapshot_reads_as_the_snapshot_and_is_named_by_inodes(snapshot, tmp_path):
    fresh = discover(install.create_queue(tmp_path / "copy", 23, OWNERS))
    old = listing.page(snapshot, listing.Filters(), now=SNAPSHOT_NOW, lifetime=604800, limit=None).messages
    new_ids = {m.id: write(fresh, draft_of(snapshot, m.id), OWNERS) for m in old if m.preprocessed}
    for msg_id in new_ids.values():
        assert os.lstat(fresh.path("mess", msg_id)).st_ino == msg_id  # as qmail-queue names it
    copied = listing.page(fresh, listing.Filters(), now=SNAPSHOT_NOW, lifetime=604800, limit=None).messages
    renumber = {new: old for old, new in new_ids.items()}
    blocks_old = {m.id: qread.qread_block(m) for m in old if m.preprocessed}
    blocks_new = {
        renumber[m.id]: qread.qread_block(m).replace(f"#{m.id}", f"#{renumber[m.id]}") for m in copied
    }
    assert blocks_new == blocks_old
    assert check(fresh, now=SNAPSHOT_NOW, owners=OWNERS).problems == []  # not even a renumbered one
    assert pattern(fresh.root) == pattern(snapshot.root)
    assert not os.listdir(fresh.root / "pid")
    assert index.index_for(fresh).counts().bouncing == 4
