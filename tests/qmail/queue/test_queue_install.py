"""A fresh queue is exactly what qmail's install makes: the snapshot's own pattern of directories,
split subdirectories, owners, modes and lock files; old queues are moved aside, never deleted."""

from __future__ import annotations

import os
import stat

import pytest

from mailserver.qmail.errors import QmailError
from mailserver.qmail.queue import install
from mailserver.qmail.queue.check import check
from mailserver.qmail.queue.install import Owners
from mailserver.qmail.queue.layout import discover
from tests.support.queues import QMAIL, QMAILQ, QMAILR, QMAILS, SNAPSHOT_NOW, pattern

OWNERS = Owners(QMAILQ, QMAILS, QMAILR, QMAIL)


def test_a_fresh_queue_has_the_snapshots_pattern(snapshot, tmp_path):
    fresh = install.create_queue(tmp_path / "queue", 23, OWNERS)
    assert pattern(fresh) == pattern(snapshot.root)
    assert len(pattern(fresh)) == 10 + 4 * 23 + 3
    assert (fresh / "lock" / "tcpto").read_bytes() == bytes(1024)
    assert stat.S_ISFIFO(os.lstat(fresh / "lock" / "trigger").st_mode)
    assert check(discover(fresh), now=SNAPSHOT_NOW, owners=OWNERS).problems == []


def test_the_owners_are_the_ones_the_queue_has_without_qmail_accounts(snapshot):
    assert Owners.of_queue(snapshot) == OWNERS


def test_conf_split_is_kept(tmp_path):
    fresh = install.create_queue(tmp_path / "queue", 7, OWNERS)
    assert sorted(os.listdir(fresh / "info"), key=int) == [str(n) for n in range(7)]
    assert discover(fresh).split == 7


def test_the_umask_does_not_change_the_modes(tmp_path):
    old = os.umask(0o077)
    try:
        fresh = install.create_queue(tmp_path / "queue", 23, OWNERS)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.lstat(fresh / "mess" / "0").st_mode) == 0o750
    assert stat.S_IMODE(os.lstat(fresh / "lock" / "trigger").st_mode) == 0o622


def test_an_existing_queue_is_never_replaced(snapshot):
    with pytest.raises(QmailError, match="cannot create a queue"):
        install.create_queue(snapshot.root, 23, OWNERS)
    assert len(os.listdir(snapshot.root / "todo")) == 2
    assert not [name for name in os.listdir(snapshot.root.parent) if name.startswith(".queue.new")]


def test_moving_aside_keeps_everything_under_a_timestamped_name(snapshot):
    moved = install.move_aside(snapshot.root, now=SNAPSHOT_NOW)
    assert moved.name == "queue.bad-20261125-133822"
    assert not snapshot.root.exists()
    assert len(os.listdir(moved / "todo")) == 2
    install.create_queue(snapshot.root, 23, OWNERS)
    again = install.move_aside(snapshot.root, now=SNAPSHOT_NOW)  # same second: a second name
    assert again.name == "queue.bad-20261125-133822-2"
    listed = install.moved_aside(snapshot.root.parent)
    assert [q.name for q in listed] == ["queue.bad-20261125-133822-2", "queue.bad-20261125-133822"]
    assert listed[0].moved_at == SNAPSHOT_NOW
