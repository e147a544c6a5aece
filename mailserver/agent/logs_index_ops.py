"""The delivery index's operations, and the log follower the reads workers keep running.

Reads and writes only the agent's own files: the index (ROOTS/var/cache/nodeworx/qmail-logs,
see logs_indexed.py), its settings.json (retention), and the reports' progress files under
NODEWORX_AGENT_STATE/reports. The follower (log_follower.py, a process of its own) is started by
the worker group that consumes ``node.<name>.reads`` and stops with it; it reads
ROOTS/var/log/qmail/send.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from typing import Any

from celery import signals

from mailserver.protocol import Op
from mailserver.qmail.errors import FieldError, QmailError

from . import logs_indexed, report_progress
from .celeryapp import settings
from .operations import Payload, operation

log = logging.getLogger("nodeworx.agent")
MAX_RETENTION = 3650
READS_NICE = 10


def _log_dir() -> Any:
    from .logs_ops import _log_dir as log_dir

    return log_dir()


@operation(Op.LOGS_PROGRESS)
def progress(payload: Payload) -> dict[str, Any]:
    """How far a report got. Payload: {"report_id": ID}. Returns {"report_id", "phase", "done",
    "total", "percent" (or None), "elapsed", "finished", "cancelled"}."""
    rid = report_progress.report_id(payload.get("report_id"), required=True)
    assert rid is not None
    return report_progress.read(rid)


@operation(Op.LOGS_CANCEL)
def cancel(payload: Payload) -> dict[str, Any]:
    """Stop a running report. Payload: {"report_id": ID}. The report answers "cancelled" within
    a quarter of a second (a block of log, or a tenth of a second of an index query)."""
    rid = report_progress.report_id(payload.get("report_id"), required=True)
    assert rid is not None
    report_progress.cancel(rid)
    return {"report_id": rid, "cancelled": True, "changes": []}


@operation(Op.LOGS_INDEX)
def index_status(payload: Payload) -> dict[str, Any]:
    """The index: {"state": "ready" | "stale" | "building" | "absent" | "off", "newest" (epoch of
    the newest line it holds), "log_newest" (of the log), "lag", "rows", "bytes", "log_bytes",
    "first", "built", "build_seconds", "retention_days", "building": {"phase", "done", "total"}}."""
    return logs_indexed.status(_log_dir())


@operation(Op.LOGS_RETENTION)
def retention(payload: Payload) -> dict[str, Any]:
    """Keep index rows this many days (rows of log files multilog has deleted stay until then).
    Payload: {"days": 1..3650}. Returns {"retention_days", "changes": [record]}."""
    days = payload.get("days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_RETENTION:
        raise FieldError("days", f"days must be a whole number from 1 to {MAX_RETENTION}")
    store = logs_indexed.store_for(_log_dir())
    if store is None or not store.ready():
        raise QmailError("The delivery index is turned off on this server (NODEWORX_LOG_INDEX=off).")
    before = store.retention_days()
    current = store.settings()
    current["retention_days"] = days
    store.save_settings(current)
    record = {
        "target": "mail log index retention",
        "action": "write",
        "before": f"{before} days",
        "after": f"{days} days",
    }
    return {"retention_days": days, "changes": [record]}


# -- the follower -------------------------------------------------------------------------------
_follower: subprocess.Popen[bytes] | None = None


def _start_follower(sender: Any = None, **_: Any) -> None:
    """In the worker group that consumes the reads queue: start the log follower beside it."""
    global _follower
    queues = {q.name for q in getattr(getattr(sender, "task_consumer", None), "queues", [])}
    if settings.reads_queue not in queues:
        return
    # The whole group (these workers, their pool, the follower) yields the CPU to the saves: a
    # report's DuckDB threads use both cores, and a save waiting for one takes twice as long.
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PGRP, 0, max(READS_NICE, os.getpriority(os.PRIO_PGRP, 0)))
    if os.environ.get("NODEWORX_LOG_FOLLOWER") == "off":
        return
    _follower = subprocess.Popen(
        [sys.executable, "-m", "mailserver.agent.log_follower"],
        stdin=subprocess.DEVNULL,
    )
    log.info("log follower started (pid %s)", _follower.pid)


def _stop_follower(**_: Any) -> None:
    if _follower is not None and _follower.poll() is None:
        _follower.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            _follower.wait(10)


signals.worker_ready.connect(_start_follower, weak=False)
signals.worker_shutdown.connect(_stop_follower, weak=False)
