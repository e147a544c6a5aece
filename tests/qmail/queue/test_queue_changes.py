"""Destructive operations as a whole: chosen again with qmail-send stopped, exactly what was asked."""

from __future__ import annotations

import os

import pytest

from mailserver.qmail.errors import Conflict
from mailserver.qmail.queue import changes, index, request
from tests.support.queues import SNAPSHOT_NOW, tree


def delete(snapshot, **payload):
    return changes.delete(snapshot, None, request.delete_request(payload), now=SNAPSHOT_NOW, wait=1.0)


def test_a_dry_run_names_the_messages_and_changes_nothing(snapshot):
    before = tree(snapshot.root)
    outcome = delete(snapshot, filters={"sender": "@reject.example.com"}, dry_run=True)
    assert outcome.chosen == [1466942, 1466983] and outcome.changed == []
    assert tree(snapshot.root) == before
    assert outcome.lines() == ["2 messages would be deleted (sender @reject.example.com): 1466942 1466983"]


def test_delete_by_filter(snapshot):
    outcome = delete(snapshot, filters={"sender": "@reject.example.com"}, expect_count=2)
    assert outcome.changed == [1466942, 1466983]
    assert index.index_for(snapshot).counts().messages == 25


def test_a_reused_number_is_not_deleted(snapshot):
    """The page showed message 1466718 arriving at 13:34:24; a message with that number that
    arrived at another time is another message, and stays."""
    os.utime(snapshot.path("info", 1466718), (SNAPSHOT_NOW, SNAPSHOT_NOW))
    outcome = delete(
        snapshot, ids=[1466718, 1466719, 99], arrived={"1466718": 1795613664, "1466719": 1795613664}
    )
    assert outcome.changed == [1466719]
    assert outcome.skipped == {"no longer in the queue": [99], "a newer message has this number": [1466718]}
    assert snapshot.path("info", 1466718).exists()


def test_a_count_that_changed_is_refused(snapshot):
    before = tree(snapshot.root)
    with pytest.raises(Conflict, match=r"2 messages match sender @reject\.example\.com now, not the 3"):
        delete(snapshot, filters={"sender": "@reject.example.com"}, expect_count=3)
    assert tree(snapshot.root) == before


@pytest.mark.parametrize(("part", "count"), [("local", 5), ("remote", 20), ("todo", 2), ("all", 27)])
def test_purges(snapshot, part, count):
    outcome = changes.purge(snapshot, None, request.purge_request({"queue": part}), wait=1.0)
    assert len(outcome.changed) == count
    counts = index.index_for(snapshot).counts()
    assert getattr(counts, "messages" if part == "all" else part) == 0
    assert counts.messages == 27 - count


def test_purging_everything_leaves_an_empty_queue_qmail_can_use(snapshot):
    changes.purge(snapshot, None, request.purge_request({"queue": "all"}), wait=1.0)
    left = [path for path, entry in tree(snapshot.root).items() if entry[0] & 0o170000 == 0o100000]
    assert sorted(left) == ["lock/sendmutex", "lock/tcpto"]
