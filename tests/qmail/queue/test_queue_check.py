"""The queue check on the real snapshot and on queues broken the ways real ones break."""

from __future__ import annotations

import os
import shutil

from mailserver.qmail.queue.check import check
from tests.support.queues import SNAPSHOT_NOW, tree

LATER = SNAPSHOT_NOW + 86400  # a day on: leftovers are no longer "being written"


def found(layout, now=LATER) -> set[tuple[str, str, str]]:
    return {(p.severity, p.kind, p.path) for p in check(layout, now=now).problems}


def test_the_real_queue_has_nothing_wrong_but_its_restored_inode_numbers(snapshot):
    report = check(snapshot, now=SNAPSHOT_NOW)
    assert {p.kind for p in report.problems} == {"renumbered"}  # extracted from a tar: new inodes
    assert {p.severity for p in report.problems} == {"notice"}
    assert len(report.problems) == 27
    assert (report.messages, report.files) == (27, 85)
    assert report.as_json()["counts"] == {"notice": 27}


def test_it_changes_nothing(snapshot):
    (snapshot.path("bounce", 1466718)).write_text("<x@y>:\nstale\n\n")  # give it something to find
    before = tree(snapshot.root)
    check(snapshot, now=LATER)
    assert tree(snapshot.root) == before


def test_files_that_contradict_each_other(snapshot):
    os.unlink(snapshot.path("mess", 1466718))  # info and remote stay: cannot be delivered
    os.unlink(snapshot.path("info", 1466719))  # remote stays: nobody will read it
    os.unlink(snapshot.path("info", 1466748))  # remote and bounce stay
    os.unlink(snapshot.path("mess", 1466767))  # todo and intd stay: cannot be preprocessed
    problems = found(snapshot)
    assert ("error", "inconsistent", "info/8/1466718") in problems
    assert ("warning", "orphan", "remote/9/1466719") in problems
    assert ("warning", "orphan", "mess/9/1466719") in problems
    assert ("warning", "orphan", "bounce/1466748") in problems
    assert ("error", "inconsistent", "todo/1466767") in problems


def test_leftovers_of_a_qmail_queue_still_writing_are_not_reported_at_once(snapshot):
    os.unlink(snapshot.path("todo", 1466766))  # mess and intd stay, as while qmail-queue writes
    assert ("warning", "orphan", "intd/1466766") not in found(snapshot, now=SNAPSHOT_NOW + 60)
    assert ("warning", "orphan", "intd/1466766") in found(snapshot, now=SNAPSHOT_NOW + 3600)


def test_files_qmail_would_never_find(snapshot):
    shutil.move(snapshot.path("info", 1466718), snapshot.root / "info" / "9" / "1466718")
    (snapshot.root / "remote" / "4" / "junk").write_text("")
    (snapshot.root / "mess" / "extra").mkdir()
    problems = found(snapshot)
    assert ("error", "misplaced", "info/9/1466718") in problems
    assert ("warning", "stray", "remote/4/junk") in problems
    assert ("warning", "stray", "mess/extra") in problems


def test_owners_modes_types_and_records(snapshot):
    os.chown(snapshot.path("info", 1466718), 0, 0)
    os.chmod(snapshot.path("remote", 1466719), 0o644)
    os.unlink(snapshot.root / "lock" / "trigger")
    (snapshot.root / "lock" / "trigger").write_text("")  # a regular file where the fifo was
    shutil.rmtree(snapshot.root / "local" / "22")
    snapshot.path("info", 1466721).write_bytes(b"garbage")
    problems = found(snapshot)
    assert ("warning", "owner", "info/8/1466718") in problems
    assert ("warning", "mode", "remote/9/1466719") in problems
    assert ("error", "type", "lock/trigger") in problems
    assert ("error", "missing", "local/22") in problems
    assert ("warning", "malformed", "info/11/1466721") in problems
