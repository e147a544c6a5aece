"""A reset where nothing runs (the demo: qmail is not installed): the seven steps, the old queue kept."""

from __future__ import annotations

import os

from mailserver.qmail.paths import Roots
from mailserver.qmail.queue import reset
from tests.support.queues import SNAPSHOT_NOW, pattern


def test_the_seven_steps_without_running_services(snapshot, tmp_path):
    roots = Roots(qmail=snapshot.root.parent, service=tmp_path / "service")
    before = pattern(snapshot.root)
    seen = []
    done = reset.reset(roots, wait=1.0, now=SNAPSHOT_NOW, on_step=lambda step: seen.append(step.number))
    assert [(s.title, s.status) for s in done.steps] == [
        ("Find the queue", "done"),
        ("Stop qmail-smtpd", "skipped"),
        ("Stop qmail-send", "skipped"),
        ("Move the queue aside", "done"),
        ("Create a fresh queue", "done"),
        ("Start qmail-smtpd", "skipped"),
        ("Start qmail-send", "skipped"),
    ]
    assert seen == [1, 2, 3, 4, 5, 6, 7]
    assert done.steps[0].detail.endswith(
        "conf-split 23; qmailq 1005, qmails 1007, qmailr 1006, group qmail 1002"
    )
    assert done.moved_to == snapshot.root.parent / "queue.bad-20261125-133822"
    assert len(os.listdir(done.moved_to / "todo")) == 2  # the old queue, whole
    assert pattern(snapshot.root) == before
    assert done.ok and done.as_json()["moved_to"] == "queue.bad-20261125-133822"


def test_a_queue_that_is_not_a_directory_is_not_touched(tmp_path):
    (tmp_path / "queue").symlink_to(tmp_path / "elsewhere")
    done = reset.reset(Roots(qmail=tmp_path, service=tmp_path / "service"), wait=1.0)
    assert [s.status for s in done.steps] == ["failed"] + ["not run"] * 6
    assert "is not a directory" in done.steps[0].detail
    assert (tmp_path / "queue").is_symlink()
