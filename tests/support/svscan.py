"""Run a real daemontools svscan over a temporary service directory.

    with running_svscan(tmp_path / "service") as scan:
        ...  # scan.pid, scan.log

Create the service directories *before* entering: svscan scans once at start
and then only every 5 seconds. svscan runs in a session (and process group) of
its own, as components.md recommends (``setsid svscan DIR``); on exit the whole
group - svscan, every supervise and every service they started - is killed,
TERM first and KILL for whatever ignores it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

SVSCAN = Path("/usr/bin/svscan")


@dataclass(frozen=True)
class Svscan:
    pid: int  # also the process group id of everything it starts
    path: Path  # the scanned directory
    log: Path  # svscan's (and the run scripts' unlogged) stdout/stderr

    def alive(self) -> list[int]:
        """Pids of live (non-zombie) processes in svscan's process group."""
        return group_members(self.pid)


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ..." - comm may hold spaces or parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def stop_group(pgid: int, grace: float = 0.5) -> None:
    """TERM the process group, then KILL it if anything is left after ``grace`` seconds."""
    _signal_group(pgid, signal.SIGTERM)
    # supervise sends nothing on its own TERM: its children get the group's TERM directly.
    deadline = time.monotonic() + grace
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if group_members(pgid):
        _signal_group(pgid, signal.SIGKILL)
        deadline = time.monotonic() + grace
        while group_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.02)


@contextmanager
def running_svscan(path: Path, log: Path | None = None) -> Iterator[Svscan]:
    """Start ``setsid /usr/bin/svscan PATH`` and kill its whole process group on exit."""
    path.mkdir(parents=True, exist_ok=True)
    log = log or path.parent / f"{path.name}.svscan.log"
    with open(os.devnull, "rb") as devnull, open(log, "ab") as out:
        process = subprocess.Popen(
            [str(SVSCAN), str(path)],
            stdin=devnull,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # setsid(): svscan leads a new session and process group
            close_fds=True,
        )
    try:
        yield Svscan(pid=process.pid, path=path, log=log)
    finally:
        stop_group(process.pid)
        process.wait(timeout=5)
