"""Progress and cancellation of long log reads, shared between the agent's processes.

A report the page may want to follow carries a ``report_id`` (made by the page). The worker that
reads the log writes how far it got to STATE/reports/ID.json now and then; ``agent.logs.progress``
(any worker) reads it; ``agent.logs.cancel`` writes ID.cancel, which the reading loop looks for
between blocks and answers by stopping: the worker is free for the next read at once. Files are
small, written atomically, and removed an hour after their report ended.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from mailserver.qmail.errors import Conflict

from . import progress_files

EVERY = 0.25  # seconds between progress writes


class Cancelled(Conflict):
    """The admin cancelled the report (answered as error kind "cancelled")."""

    kind = "cancelled"


def report_id(value: object, *, required: bool = False) -> str | None:
    return progress_files.token(value, "report_id", required=required)


def _dir() -> Path:
    return progress_files.folder("reports")


class Tracker:
    """One report's progress: ``step`` often (cheap), it writes at most every EVERY seconds."""

    def __init__(self, rid: str | None) -> None:
        self.rid = rid
        self.started = time.time()
        self.last = 0.0
        self.data: dict[str, Any] = {"phase": "starting", "done": 0, "total": 0, "finished": False}
        if rid is not None:
            progress_files.sweep(_dir())
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
        progress_files.write(self._path, self.data)


def read(rid: str) -> dict[str, Any]:
    data = progress_files.read(_dir() / f"{rid}.json")
    if data is None:
        return {"report_id": rid, "phase": "unknown", "done": 0, "total": 0, "finished": False}
    total = data.get("total") or 0
    data["percent"] = round(100.0 * data.get("done", 0) / total, 1) if total else None
    data["cancelled"] = (_dir() / f"{rid}.cancel").exists()
    data["report_id"] = rid
    return data


def cancel(rid: str) -> None:
    (_dir() / f"{rid}.cancel").touch()
