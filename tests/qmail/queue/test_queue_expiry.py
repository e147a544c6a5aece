"""Expire now: qmHandle's way, the info file's birth set back beyond queuelifetime."""

from __future__ import annotations

import os

from mailserver.qmail.queue.expiry import MARGIN, expire_messages
from mailserver.qmail.queue.message import read_message
from tests.support.queues import SNAPSHOT_NOW

LIFETIME = 604800


def test_the_birth_goes_back_and_the_next_attempt_is_due_now(snapshot):
    done = expire_messages(snapshot, [1466856, 1466767, 42], lifetime=LIFETIME, now=SNAPSHOT_NOW)
    assert done.messages == [(1466856, 1795613680, SNAPSHOT_NOW - LIFETIME - MARGIN)]
    assert (done.not_preprocessed, done.absent) == ([1466767], [42])
    assert os.lstat(snapshot.path("info", 1466856)).st_mtime == SNAPSHOT_NOW - LIFETIME - MARGIN
    assert os.lstat(snapshot.path("local", 1466856)).st_mtime == SNAPSHOT_NOW  # due at once
    message = read_message(snapshot, 1466856, now=SNAPSHOT_NOW + 1, lifetime=LIFETIME)
    assert message is not None and message.expires is not None and message.expires < SNAPSHOT_NOW
    assert snapshot.path("todo", 1466767).exists()  # left alone


def test_an_older_message_is_not_made_younger(snapshot):
    info = snapshot.path("info", 1466856)
    os.utime(info, (1000, 1000))
    expire_messages(snapshot, [1466856], lifetime=LIFETIME, now=SNAPSHOT_NOW)
    assert os.lstat(info).st_mtime == 1000
