"""A qmail-send stand-in for the queue tests: it only stays up, holds qmail-send's lock and writes
down every signal it gets, so a test can see that an operation stopped it and started it again.

Like the real qmail-send it takes an exclusive flock on ``queue/lock/sendmutex`` when it starts
(and exits with "alert: cannot start" when another holds it), exits on TERM, and carries on after
ALRM, HUP and CONT. It is installed as ``ROOTS.qmail/bin/qmail-send`` (with a qmail-start that
execs it, as the real one does) and runs under the test server's svscan, or on its own to play
a qmail-send that nobody supervises.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mailserver.qmail import services
from mailserver.qmail.paths import Roots

TIMEOUT = 8.0  # supervise waits a second after each start
SCRIPT = """#!{python}
# test stand-in for qmail-send: stays up, holds lock/sendmutex, records its signals
import fcntl, os, signal, sys
LOG, LOCK = {log!r}, {lock!r}

def note(text):
    with open(LOG, "a") as log:
        log.write(f"{{os.getpid()}} {{text}}\\n")

try:
    fd = os.open(LOCK, os.O_WRONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError as exc:
    note(f"alert: cannot start: {{exc.strerror}}")
    sys.exit(111)
note("start")

def on(number, frame):
    note(signal.Signals(number).name)
    if number == signal.SIGTERM:
        note("exit")
        sys.exit(0)

for number in (signal.SIGTERM, signal.SIGALRM, signal.SIGHUP, signal.SIGCONT):
    signal.signal(number, on)
while True:
    signal.pause()
"""


@dataclass(frozen=True)
class Recorder:
    log: Path

    def lines(self) -> list[tuple[int, str]]:
        if not self.log.exists():
            return []
        return [
            (int(pid), text)
            for pid, text in (line.split(" ", 1) for line in self.log.read_text().splitlines())
        ]

    def of(self, pid: int) -> list[str]:
        return [text for who, text in self.lines() if who == pid]

    def started(self) -> list[int]:
        return [pid for pid, text in self.lines() if text == "start"]

    def alerts(self) -> list[str]:
        return [text for _, text in self.lines() if text.startswith("alert")]

    def wait_for(self, count: int) -> list[int]:
        """The pids of the first ``count`` starts, once there are that many."""
        deadline = time.monotonic() + TIMEOUT
        while len(started := self.started()) < count:
            assert time.monotonic() < deadline, f"only {started} started: {self.lines()}"
            time.sleep(0.02)
        return started


def install_programs(roots: Roots, log: Path) -> Path:
    script = SCRIPT.format(
        python=sys.executable, log=str(log), lock=str(roots.queue_dir / "lock" / "sendmutex")
    )
    bin_dir = roots.qmail / "bin"
    (bin_dir / "qmail-start").write_text("#!/bin/sh\n# test stand-in for qmail-start\nexec qmail-send\n")
    (bin_dir / "qmail-send").write_text(script)
    for name in ("qmail-start", "qmail-send"):
        (bin_dir / name).chmod(0o755)
    return bin_dir / "qmail-send"


@contextmanager
def recording_qmail_send(roots: Roots, log: Path) -> Iterator[Recorder]:
    """qmail-send (the stand-in) installed and up under svscan; stopped and removed afterwards."""
    log.unlink(missing_ok=True)
    install_programs(roots, log)
    recorder = Recorder(log)
    try:
        services.control(roots, "qmail-send", "up")
        services.wait_until(roots, "qmail-send", "up", TIMEOUT)
        recorder.wait_for(1)
        yield recorder
    finally:
        try:
            if services.read_status(roots, "qmail-send").up:
                services.control(roots, "qmail-send", "down")
                services.wait_until(roots, "qmail-send", "down", TIMEOUT)
        finally:
            for name in ("qmail-start", "qmail-send"):
                (roots.qmail / "bin" / name).unlink(missing_ok=True)
            (roots.service_dir("qmail-send") / "down").touch()


@contextmanager
def unsupervised_qmail_send(roots: Roots, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The stand-in started by hand, outside supervise, as an init script might have started qmail."""
    program = install_programs(roots, log)
    recorder = Recorder(log)
    process = subprocess.Popen([str(program)], start_new_session=True)
    try:
        deadline = time.monotonic() + TIMEOUT
        while process.pid not in recorder.started():
            assert process.poll() is None and time.monotonic() < deadline, recorder.lines()
            time.sleep(0.02)
        yield process
    finally:
        process.terminate()
        process.wait(5)
        for name in ("qmail-start", "qmail-send"):
            (roots.qmail / "bin" / name).unlink(missing_ok=True)
