"""The oracle: reading the real queue snapshot reproduces qmail's own tools exactly.

qmail-qstat.txt and qmail-qread.txt were printed by the real programs at the moment the
snapshot was taken (mailserver/demo/data/). qmail-qread's order follows its directory reads,
so messages are compared as a set of blocks; inside a block every byte must match.
"""

from __future__ import annotations

import json

from mailserver.qmail.queue import index, listing, qread
from mailserver.qmail.queue.layout import Layout
from mailserver.qmail.queue.message import read_message
from tests.support.queues import QREAD, QSTAT, SNAPSHOT_NOW
from tests.support.queues import qread_blocks as blocks

LIFETIME = 604800


def everything(layout: Layout) -> list:
    return listing.page(layout, listing.Filters(), now=SNAPSHOT_NOW, lifetime=LIFETIME, limit=None).messages


def test_counts_reproduce_qmail_qstat_exactly(snapshot):
    counts = index.index_for(snapshot).counts()
    assert qread.qstat(counts) == QSTAT
    assert (counts.messages, counts.unprocessed) == (27, 2)


def test_messages_reproduce_qmail_qread_exactly(snapshot):
    assert blocks(qread.qread(everything(snapshot))) == blocks(QREAD)
    assert len(blocks(QREAD)) == 25


def test_every_qmail_qread_field_is_in_the_json(snapshot):
    """The same facts through ``as_json``: number, date, size, sender, bouncing, recipients and marks."""
    by_id = {m["id"]: m for m in (message.as_json() for message in everything(snapshot))}
    for block in blocks(QREAD):
        head, *lines = block.splitlines()
        date, rest = head.split("  #")
        number, size, sender_part = rest.split("  ", 2)
        message = by_id[int(number)]
        assert qread.date(message["arrived"]) == date
        assert message["size"] == int(size)
        assert f"<{message['sender']}> " + (" bouncing" if message["bouncing"] else "") == sender_part
        assert message["preprocessed"] is True
        shown = [(r["done"], r["channel"], r["address"]) for r in message["recipients"]]
        expected = []
        for line in lines:
            mark, channel, address = line.split("\t")
            expected.append((mark == "  done", channel, address))
        assert shown == expected


def test_the_two_messages_not_yet_preprocessed_are_listed_from_their_envelope(snapshot):
    """qmail-qread leaves them out (it reads info/ only); the panel shows them, marked."""
    waiting = {m.id: m for m in everything(snapshot) if not m.preprocessed}
    assert set(waiting) == {1466766, 1466767}
    assert waiting[1466766].sender == "alice@example.test"
    assert [r.address for r in waiting[1466766].recipients] == [
        "carol@example.test",
        "user7@sink.example.net",
    ]
    assert waiting[1466766].size == 318  # mess/10/1466766
    assert waiting[1466766].arrived == SNAPSHOT_NOW  # the todo file's mtime: 13:38:22
    assert waiting[1466766].expires is None and waiting[1466766].next_retry is None


def test_the_json_shape_is_the_one_the_issue_fixes(snapshot):
    message = read_message(snapshot, 1466721, now=SNAPSHOT_NOW, lifetime=LIFETIME)
    assert message is not None
    data = json.loads(json.dumps(message.as_json()))
    assert data["id"] == 1466721 and isinstance(data["id"], int)
    assert data["sender"] == ""  # the null sender of a bounce, without brackets
    assert data["arrived"] == 1795613665  # 13:34:25, the info file's mtime
    assert data["size"] == 828
    assert data["bouncing"] is False and data["preprocessed"] is True
    assert data["recipients"] == [
        {"address": "user1@sink.example.net", "channel": "remote", "done": True},
        {"address": "info@greylist.example.org", "channel": "remote", "done": False},
    ]
    assert data["next_retry"] == 1795614449  # 13:47:29, remote/11/1466721's mtime (qmail-send's schedule)
    assert data["expires"] == 1795613665 + LIFETIME
