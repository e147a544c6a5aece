"""Changes run only while no qmail-send works on the queue: its own lock proves it."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailserver.qmail.paths import Roots
from mailserver.qmail.queue.sendlock import SendRunning, lock_holder, send_stopped

HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""


@pytest.fixture
def held(snapshot):
    """Another process holding lock/sendmutex, as a running qmail-send does."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(snapshot.root / "lock" / "sendmutex")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "held\n"
    yield process
    process.kill()
    process.wait()


def test_a_queue_nobody_works_on_is_locked_for_the_change_and_released(snapshot):
    with send_stopped(snapshot, None) as stopped:
        fd = os.open(snapshot.root / "lock" / "sendmutex", os.O_WRONLY)
        try:
            with pytest.raises(BlockingIOError):  # a qmail-send starting now could not run
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    assert (stopped.restarted, stopped.events, stopped.service_was) == (False, [], "other queue")
    assert lock_holder(snapshot.root / "lock" / "sendmutex") is None


def test_a_qmail_send_outside_supervise_is_named_and_nothing_runs(snapshot, held, tmp_path):
    assert lock_holder(snapshot.root / "lock" / "sendmutex") == held.pid
    roots = Roots(qmail=snapshot.root.parent, service=tmp_path / "service")  # qmail-send not supervised
    ran = []
    with (
        pytest.raises(SendRunning, match=f"without being supervised .*process {held.pid} holds sendmutex"),
        send_stopped(snapshot, roots),
    ):
        ran.append(True)
    assert ran == []


def test_without_sendmutex_no_qmail_send_can_run_and_it_says_so(snapshot):
    (snapshot.root / "lock" / "sendmutex").unlink()
    with send_stopped(snapshot, None) as stopped:
        pass
    assert "lock/sendmutex is missing" in stopped.notes[0]


def test_the_lock_is_released_when_the_change_fails(snapshot):
    with pytest.raises(RuntimeError), send_stopped(snapshot, None):
        raise RuntimeError("half-way")
    fd = os.open(Path(snapshot.root / "lock" / "sendmutex"), os.O_WRONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)
