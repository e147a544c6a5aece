"""The Mail Queue operations through the real signed agent, over the test server's real queue.

The test server's queue is the captured snapshot, put back before each test. Where qmail-send
must run, a stand-in runs under the real svscan (tests/support/recording_send.py): it holds
qmail-send's lock and records every signal, so the tests see each change stop it (TERM) and
start it again (a new process), also when the change fails half-way.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailserver.core import agent
from mailserver.qmail.paths import Roots
from mailserver.qmail.queue.layout import discover
from tests.support.daemons import wait_for
from tests.support.queues import QSTAT, pattern, snapshot_queue, tree
from tests.support.recording_send import Recorder, recording_qmail_send, unsupervised_qmail_send

pytestmark = pytest.mark.integration

CHATTR = shutil.which("chattr")


@pytest.fixture
def queue(roots: Roots) -> Iterator[Roots]:
    with snapshot_queue(roots):
        yield roots


@pytest.fixture
def send(queue: Roots, work_dir: Path) -> Iterator[Recorder]:
    with recording_qmail_send(queue, work_dir / "qmail-send-signals.log") as recorder:
        yield recorder


def call(op: str, payload: dict | None = None) -> dict:
    return agent.call(f"agent.queue.{op}", payload or {}, timeout=20)


def stopped_and_restarted(recorder: Recorder) -> None:
    first, second = recorder.wait_for(2)[:2]
    assert recorder.of(first)[:3] == ["start", "SIGTERM", "exit"]  # svc -d: TERM (then CONT, to a dead pid)
    assert recorder.of(second) == ["start"]  # svc -u: a new qmail-send holding the lock again
    assert recorder.alerts() == []


def test_stats_are_qmail_qstat_and_say_which_controls_cannot_work_here(queue):
    data = call("stats")
    counts = data["counts"]
    qstat = f"messages in queue: {counts['messages']}\n"
    qstat += f"messages in queue but not yet preprocessed: {counts['unprocessed']}\n"
    assert qstat == QSTAT
    assert (counts["local"], counts["remote"], counts["todo"], counts["bouncing"]) == (5, 20, 2, 4)
    assert (data["split"], data["queuelifetime"], data["moved_aside"]) == (23, 604800, [])
    assert data["qmail_send"]["installed"] is False
    assert "change" not in data["disabled"]  # no qmail-send runs: the queue can be changed
    assert "qmail-send is not installed" in data["disabled"]["process"]
    assert "qmail-inject is not installed" in data["disabled"]["inject"]
    fs = os.statvfs(queue.queue_dir)  # the dashboard's figures are the mail host's own
    assert data["system"]["queue_fs"]["total_inodes"] == fs.f_files
    assert len(data["system"]["load"]) == 3 and data["system"]["memory"]["total"] > 0


def test_browsing_one_message_and_the_check(queue):
    page = call("list", {"limit": 5, "filters": {"select": "bouncing"}})
    assert page["total"] == 4 and len(page["messages"]) == 4
    assert [m["id"] for m in page["messages"]] == [1467062, 1467024, 1466874, 1466748]  # newest first
    one = call("message", {"id": 1466748})
    assert one["message"]["sender"] == "alice@example.test"
    assert "gone8@reject.example.com" in one["bounce"]
    assert dict(map(tuple, one["content"]["headers"]))["From"]
    report = call("check")
    assert report["counts"] == {"notice": 27}  # the snapshot's restored inode numbers, nothing else


def test_payloads_are_checked_by_the_library(queue):
    with pytest.raises(agent.AgentRefused) as refused:
        call("delete", {"ids": ["../../etc/passwd"]})
    assert (refused.value.kind, refused.value.field) == ("invalid", "ids")
    with pytest.raises(agent.AgentRefused) as refused:
        call("purge", {"queue": "everything"})
    assert refused.value.field == "queue"


def test_a_dry_run_counts_and_touches_nothing(send, queue):
    before = tree(queue.queue_dir)
    data = call("purge", {"queue": "remote", "dry_run": True})
    assert (data["outcome"]["count"], data["changes"]) == (20, [])
    assert tree(queue.queue_dir) == before
    assert send.of(send.started()[0]) == ["start"]  # qmail-send was not even stopped


def test_purging_remote_stops_qmail_send_deletes_those_messages_and_starts_it_again(send, queue):
    data = call("purge", {"queue": "remote", "expect_count": 20})
    assert data["counts"]["remote"] == 0 and data["counts"]["messages"] == 7
    assert data["outcome"]["changed"] == 20
    actions = [(c["target"], c["action"]) for c in data["changes"]]
    assert actions == [
        ("service qmail-send", "svc -d"),
        ("queue", "purge remote"),
        ("service qmail-send", "svc -u"),
    ]
    assert data["changes"][1]["message"].startswith("20 messages deleted (every message in remote): ")
    stopped_and_restarted(send)


def test_a_confirmed_count_that_no_longer_holds_changes_nothing(send, queue):
    before = tree(queue.queue_dir)
    with pytest.raises(agent.AgentRefused) as refused:
        call("delete", {"filters": {"sender": "@example.test"}, "expect_count": 3})
    assert refused.value.kind == "conflict"
    assert "match sender @example.test now, not the 3 you confirmed" in refused.value.message
    assert tree(queue.queue_dir) == before


def test_a_delete_that_fails_half_way_still_starts_qmail_send_again(send, queue):
    layout = discover(queue.queue_dir)
    obstacle = layout.path("bounce", 1466748)
    obstacle.unlink()
    obstacle.mkdir()  # the delete cannot remove it
    (obstacle / "x").write_text("")
    with pytest.raises(agent.AgentRefused) as refused:
        call("delete", {"ids": [1466718, 1466748, 1466719]})
    assert "bounce/1466748 could not be removed" in refused.value.message
    assert "1 messages were deleted; 1 were not touched" in refused.value.message
    assert not layout.path("mess", 1466718).exists()  # deleted
    assert not layout.path("info", 1466748).exists() and layout.path("mess", 1466748).exists()  # invisible
    assert layout.path("info", 1466719).exists()  # never reached
    stopped_and_restarted(send)


def test_a_purge_that_fails_half_way_still_starts_qmail_send_again(send, queue):
    layout = discover(queue.queue_dir)
    obstacle = layout.path("mess", 1466856)  # the last of its files to go
    obstacle.unlink()
    obstacle.mkdir()
    (obstacle / "x").write_text("")
    with pytest.raises(agent.AgentRefused) as refused:
        call("purge", {"queue": "local"})
    assert "mess/8/1466856 could not be removed" in refused.value.message
    assert not layout.path("info", 1466856).exists() and not layout.path("local", 1466856).exists()
    stopped_and_restarted(send)


def test_a_qmail_send_nobody_supervises_makes_every_change_refuse(queue, work_dir):
    before = tree(queue.queue_dir)
    with unsupervised_qmail_send(queue, work_dir / "unsupervised.log") as process:
        assert f"process {process.pid} holds lock/sendmutex" in call("stats")["disabled"]["change"]
        with pytest.raises(agent.AgentRefused) as refused:
            call("purge", {"queue": "all"})
    assert "without being supervised" in refused.value.message
    assert f"process {process.pid} holds sendmutex" in refused.value.message
    assert tree(queue.queue_dir) == before


def test_expiring_a_message_backdates_its_birth_beyond_queuelifetime(send, queue):
    data = call("expire", {"ids": [1466718, 1466766]})
    assert data["outcome"]["changed"] == 1
    assert data["outcome"]["skipped"]["not yet preprocessed (no birth yet)"] == [1466766]
    message = call("message", {"id": 1466718})["message"]
    assert message["expires"] < message["next_retry"]  # its next attempt is its last
    stopped_and_restarted(send)


def test_process_now_sends_alrm_and_says_when_qmail_send_is_not_running(queue, work_dir):
    with pytest.raises(agent.AgentRefused) as refused:
        call("process")
    assert "qmail-send is not installed" in refused.value.message
    with recording_qmail_send(queue, work_dir / "process.log") as recorder:
        data = call("process")
        assert data["changes"][0]["action"] == "svc -a"
        pid = recorder.started()[0]
        wait_for(lambda: "SIGALRM" in recorder.of(pid), 5, "qmail-send to get ALRM")


def test_a_test_message_needs_qmail_inject(queue):
    with pytest.raises(agent.AgentRefused) as refused:
        call(
            "inject", {"from": "alice@example.test", "to": ["bob@example.test"], "subject": "hi", "body": "x"}
        )
    assert "qmail-inject is not installed" in refused.value.message


def test_reset_moves_the_queue_aside_and_makes_a_fresh_one_in_seven_steps(send, queue):
    snapshot_pattern = pattern(queue.queue_dir)
    data = call("reset", {"confirm": True})
    assert [(s["title"], s["status"]) for s in data["steps"]] == [
        ("Find the queue", "done"),
        ("Stop qmail-smtpd", "skipped"),  # not installed in the test server
        ("Stop qmail-send", "done"),
        ("Move the queue aside", "done"),
        ("Create a fresh queue", "done"),
        ("Start qmail-smtpd", "skipped"),
        ("Start qmail-send", "done"),
    ]
    assert data["ok"] is True and data["counts"]["messages"] == 0
    assert [(c["target"], c["action"]) for c in data["changes"]] == [
        ("service qmail-send", "svc -d"),
        ("service qmail-send", "svc -u"),
        ("queue", "reset"),
    ]
    assert pattern(queue.queue_dir) == snapshot_pattern
    moved = call("stats")["moved_aside"]
    assert [(q["name"], q["messages"]) for q in moved] == [(data["moved_to"], 27)]
    assert len(os.listdir(queue.qmail / data["moved_to"] / "todo")) == 2
    stopped_and_restarted(send)


@pytest.mark.skipif(CHATTR is None, reason="chattr is not installed")
def test_a_reset_that_fails_half_way_leaves_the_queue_and_starts_qmail_send_again(send, queue):
    root = queue.queue_dir
    if subprocess.run([str(CHATTR), "+i", str(root)], capture_output=True).returncode != 0:
        pytest.skip("this file system has no immutable flag")
    try:
        data = call("reset", {"confirm": True})
    finally:
        subprocess.run([str(CHATTR), "-i", str(root)], check=True)
    statuses = [s["status"] for s in data["steps"]]
    assert statuses == ["done", "skipped", "done", "failed", "not run", "not run", "done"]
    assert "cannot move" in data["steps"][3]["detail"]
    assert data["ok"] is False and data["changes"][-1]["result"] == "failed"
    assert stat.S_ISDIR(os.lstat(root).st_mode) and len(os.listdir(root / "todo")) == 2
    stopped_and_restarted(send)


def test_mailqueue_stops_the_supervised_qmail_send_too(send, queue, server_root):
    import sys

    env = {"PATH": os.environ["PATH"], "NODEWORX_SERVER_ROOT": str(server_root), "TZ": "UTC"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "mailqueue"), "delete", "--select", "todo"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("qmail-send: svc -d: down ")
    assert lines[1].startswith("qmail-send: svc -u: up (pid ")
    assert lines[2] == "2 messages deleted (in todo)"
    stopped_and_restarted(send)
