"""Progress and cancellation of long log reads, shared between the agent's processes.

A report the page may want to follow carries a ``report_id`` (made by the page). The worker that
reads the log writes how far it got to STATE/reports/ID.json now and then; ``agent.logs.progress``
(any worker) reads it; ``agent.logs.cancel`` writes ID.cancel, which the reading loop looks for
between blocks and answers by stopping: the worker is free for the next read at once. Files are
small, written atomically, and removed an hour after their report ended.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from mailserver.qmail.errors import Conflict, FieldError

from .celeryapp import settings

_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
KEEP = 3600.0
EVERY = 0.25  # seconds between progress writes


class Cancelled(Conflict):
    """The admin cancelled the report (answered as error kind "cancelled")."""

    kind = "cancelled"


def report_id(value: object, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise FieldError("report_id", "report_id must be 8 to 64 letters, digits, - or _")
    return value


def _dir() -> Path:
    path = settings.state_dir / "reports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _write(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".p", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


class Tracker:
    """One report's progress: ``step`` often (cheap), it writes at most every EVERY seconds."""

    def __init__(self, rid: str | None) -> None:
        self.rid = rid
        self.started = time.time()
        self.last = 0.0
        self.data: dict[str, Any] = {"phase": "starting", "done": 0, "total": 0, "finished": False}
        if rid is not None:
            _sweep()
            self._path = _dir() / f"{rid}.json"
            self._cancel = _dir() / f"{rid}.cancel"
            self._save()

    def step(self, phase: str, done: int, total: int, *, force: bool = False) -> None:
        if self.rid is None:
            return
        now = time.monotonic()
        if not force and now - self.last < EVERY:
            return
        self.last = now
        if self._cancel.exists():
            raise Cancelled("The report was cancelled.")
        self.data.update(phase=phase, done=done, total=total)
        self._save()

    def cancelled(self) -> bool:
        return self.rid is not None and self._cancel.exists()

    def finish(self, outcome: str) -> None:
        if self.rid is None:
            return
        self.data.update(phase=outcome, finished=True)
        self._save()

    def _save(self) -> None:
        self.data["elapsed"] = round(time.time() - self.started, 3)
        _write(self._path, self.data)


def read(rid: str) -> dict[str, Any]:
    path = _dir() / f"{rid}.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"report_id": rid, "phase": "unknown", "done": 0, "total": 0, "finished": False}
    total = data.get("total") or 0
    data["percent"] = round(100.0 * data.get("done", 0) / total, 1) if total else None
    data["cancelled"] = (_dir() / f"{rid}.cancel").exists()
    data["report_id"] = rid
    return data


def cancel(rid: str) -> None:
    (_dir() / f"{rid}.cancel").touch()


def _sweep() -> None:
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in _dir().iterdir():
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime > KEEP:
                    entry.unlink()
