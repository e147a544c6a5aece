"""The cached index: directories listed again only when they changed, and never trusted too early."""

from __future__ import annotations

import os
import time

from mailserver.qmail.queue import index, listing
from mailserver.qmail.queue.install import Owners
from mailserver.qmail.queue.records import Recipient
from mailserver.qmail.queue.writer import Draft, write
from tests.support.queues import QMAIL, QMAILQ, QMAILR, QMAILS, SNAPSHOT_NOW

OWNERS = Owners(QMAILQ, QMAILS, QMAILR, QMAIL)


def settle(layout) -> None:
    """Date every directory of the queue back, as if nothing had changed for a minute."""
    old = time.time() - 60
    for kind in ("mess", "info", "local", "remote", "todo", "intd", "bounce"):
        for directory in layout.directories(kind):
            os.utime(directory, (old, old))


def test_an_unchanged_queue_is_counted_without_listing_a_directory(snapshot):
    settle(snapshot)
    queue = index.index_for(snapshot)
    first = queue.counts()
    generation = queue.generation
    assert queue.counts() == first
    assert queue.generation == generation  # nothing was listed again


def test_a_directory_changed_in_the_same_moment_as_its_listing_is_listed_again(snapshot):
    """A listing taken right after a change is not trusted: a second change in the same clock tick
    would leave the directory's mtime as it was."""
    settle(snapshot)
    os.utime(snapshot.root / "todo")  # changed just now
    queue = index.index_for(snapshot)
    queue.counts()
    generation = queue.generation
    queue.counts()
    assert queue.generation > generation
    assert [shard.settled for shard in queue.shards("todo")] == [False]
    assert all(shard.settled for shard in queue.shards("mess"))


def test_a_new_message_and_a_deleted_one_are_seen(snapshot):
    settle(snapshot)
    queue = index.index_for(snapshot)
    before = queue.counts()
    draft = Draft(
        b"Received: test\n\nhello\n",
        "new@example.test",
        SNAPSHOT_NOW,
        remote=(Recipient("x@y.example", False),),
    )
    new_id = write(snapshot, draft, OWNERS)
    os.unlink(snapshot.path("todo", 1466767))
    after = queue.counts()
    assert (after.messages, after.remote, after.unprocessed) == (
        before.messages + 1,
        before.remote + 1,
        before.unprocessed - 1,
    )
    queue.refresh()  # the counts do not list info/
    assert new_id in queue.ids("info")


def test_cached_contents_follow_a_reused_number(snapshot):
    """qmail reuses a number as soon as a message is gone: its new info file must be read again."""
    settle(snapshot)
    assert listing.Selection(snapshot).senders()[1466718] == "root@example.test"
    info = snapshot.path("info", 1466718)
    info.unlink()
    info.write_bytes(b"Fsomeone.else@example.test\0")
    assert listing.Selection(snapshot).senders()[1466718] == "someone.else@example.test"


def test_odd_entries_are_not_counted_as_messages(snapshot):
    (snapshot.root / "mess" / "3" / "not-a-number").write_text("")
    (snapshot.root / "info" / "3" / "0123").write_text("")  # qmail would read it back as 123
    os.mkdir(snapshot.root / "remote" / "3" / "99")
    queue = index.index_for(snapshot)
    counts = queue.counts()
    # qmail-qstat's find counts regular files, whatever their names: so does the index
    assert counts.messages == 28
    queue.refresh()  # every directory, info/ too
    assert 123 not in queue.ids("info") and 99 not in queue.ids("remote")
    strays = {
        name
        for shard in queue.shards("mess") + queue.shards("info") + queue.shards("remote")
        for name in shard.strays
    }
    assert strays == {"not-a-number", "0123", "99"}
