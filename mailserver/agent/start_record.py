"""What a running service was started with, against what it would read now: "Restart it" told true.

When the agent starts or restarts a service (a save's restart, the Start and Restart buttons),
it records, for the new process (its pid and start time, as supervise reports them), the
digest of each input the service reads at start (:mod:`mailserver.agent.start_reads`). A
restart is pending when an input now differs from the one recorded for that very process:
a file rewritten with the same bytes, touched, or changed only in a setting the service does
not use asks for nothing; a file put back with an older time (a restore, ``cp -p``) or
removed is still seen.

A process without a record (started by hand, at boot, by supervise after a crash, by the
Auto-Restart check, or before this record existed) leaves only the files' modification times
against its start, the rule this replaces; the answer says it was judged so. The records are
one small JSON file per service in the agent's own state directory (NODEWORX_AGENT_STATE),
never among the mail server's files.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mailserver.qmail import services

from .celeryapp import settings
from .start_reads import Input, start_reads

_DIRECTORY = "started-with"
_SAME_START = 0.5  # seconds: the same start as supervise reports it (nanoseconds in its status file)


@dataclass(frozen=True)
class Pending:
    changed: list[str]  # the labels of the inputs changed since the process started; [] when none
    by_file_time: bool  # no record for this process: judged by the files' modification times


def _path(name: str) -> Path:
    return settings.state_dir / _DIRECTORY / f"{name}.json"


def reads_now(name: str) -> dict[str, Input] | None:
    return start_reads(settings.roots, name, conf_spawn=settings.conf_spawn)


def _digests(inputs: dict[str, Input]) -> dict[str, str]:
    return {key: found.digest for key, found in inputs.items()}


def record(name: str, before: dict[str, Input] | None, status: services.ServiceStatus) -> None:
    """Remember that the process of ``status`` started with the inputs ``before`` (read just before
    it was started). Recorded only when they still read the same now that it runs: a file
    changed during the start leaves no record, so nothing is claimed about what it read."""
    if before is None or not status.up or status.pid is None or status.since is None:
        return
    if _digests(reads_now(name) or {}) != _digests(before):
        forget(name)
        return
    entry = {
        "pid": status.pid,
        "since": status.since.timestamp(),
        "inputs": {key: [found.label, found.digest] for key, found in before.items()},
    }
    directory = _path(name).parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(entry, out)
        os.replace(temporary, _path(name))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def record_if_started(name: str, before: dict[str, Input] | None, since: float) -> None:
    """``record``, for a process the agent's own work started after ``since`` (a queue change or
    reset stops qmail-send and starts it again); one started otherwise keeps no record."""
    status = services.read_status(settings.roots, name)
    if status.since is not None and status.since.timestamp() >= since - _SAME_START:
        record(name, before, status)


def forget(name: str) -> None:
    _path(name).unlink(missing_ok=True)


def _recorded(name: str, pid: int, since: float) -> dict[str, list[str]] | None:
    try:
        entry = json.loads(_path(name).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("pid") != pid:
        return None
    started = entry.get("since")
    if not isinstance(started, int | float) or abs(started - since) > _SAME_START:
        return None  # the pid of a process long gone, now another's
    inputs = entry.get("inputs")
    return inputs if isinstance(inputs, dict) else None


def pending(name: str, up: bool, pid: int | None, since: float | None) -> Pending:
    """What the running process of ``name`` would read differently if it started now."""
    now = reads_now(name)
    if not up or pid is None or since is None or now is None:
        return Pending([], False)
    recorded = _recorded(name, pid, since)
    if recorded is None:
        written = {found.file for found in now.values() if found.mtime is not None and found.mtime > since}
        return Pending(sorted(written), True)
    changed = {
        found.label for key, found in now.items() if key not in recorded or recorded[key][1] != found.digest
    }
    changed |= {str(then[0]) for key, then in recorded.items() if key not in now}
    return Pending(sorted(changed), False)
