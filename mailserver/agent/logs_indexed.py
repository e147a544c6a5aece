"""Mail log reports from the delivery index (read-only), with the streaming tools' answers.

Reads the index the log follower keeps (mailserver.qmail.logs.deliveries, under
ROOTS/var/cache/nodeworx/qmail-logs or NODEWORX_QMAIL_LOG_CACHE), the manifest's files and
the tail of ROOTS/var/log/qmail/send/current (to tell whether the index is up to date). The
answer has the same shape and, for the same period, the same content as logs_ops's streaming
report; a report it cannot answer (no index yet, a stale one) returns None and streams instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from mailserver.qmail.logs import config as log_config
from mailserver.qmail.logs.deliveries.load import THREADS_ENV
from mailserver.qmail.logs.deliveries.query import Period, ns_unix
from mailserver.qmail.logs.deliveries.ranked import ranked
from mailserver.qmail.logs.deliveries.reports import Report, rules_for
from mailserver.qmail.logs.deliveries.store import Manifest, Store, index_root
from mailserver.qmail.logs.domains import Domains
from mailserver.qmail.logs.files import LogDir
from mailserver.qmail.logs.index import CACHE_ENV
from mailserver.qmail.logs.records import readable, sender_text
from mailserver.qmail.logs.render import SHOW_COLUMNS, SHOW_DETAIL_COLUMNS
from mailserver.qmail.logs.reports import Stats, table
from mailserver.qmail.logs.request import CAUSES_REPORT, SHOW_REPORTS, ReportRequest
from mailserver.qmail.logs.series import Series
from mailserver.qmail.logs.tai64n import encode, format_local, to_unix
from mailserver.qmail.logs.timespec import now

from .celeryapp import settings
from .report_progress import Cancelled, Tracker

# How far the index may lag the log's last line before reports read the log itself. None: a
# report from the index must give what the streaming tools give, and a line the index lacks
# (appended since the follower's last pass) would be missing from it.
STALE = 0.0
# How long a report waits for the follower to reach the log's last line (it reads every 2 s),
# before it reads the log itself: on a busy server the last line is always newer than the index.
CATCH_UP = 3.0


def _threads() -> int:
    """DuckDB threads for a report: 1 unless NODEWORX_LOG_INDEX_THREADS says otherwise.

    Measured (bench/README.md): with both cores on a report, a save made meanwhile took 2.2× its
    usual time; with one, 1.2×, while a whole-log report took 1.1 s instead of 1.0 s.
    """
    value = os.environ.get(THREADS_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else 1


_NAMES = {"s": "success", "d": "deferral", "f": "failure"}


def store_for(log_dir: Path) -> Store | None:
    cache = None if os.environ.get(CACHE_ENV) else settings.server_root / "var/cache/nodeworx/qmail-logs"
    root = index_root(log_dir, cache)
    return Store(root) if root is not None else None


def usable(log_dir: Path, skipped: list[str] | None = None) -> tuple[Store, Manifest] | None:
    """The index's store and manifest when it covers the log up to its last line (within STALE).

    ``skipped`` receives what the log directory holds that is not a log file (a link, a fifo).
    """
    store = store_for(log_dir)
    if store is None:
        return None
    manifest = store.manifest()
    if manifest is None or manifest.log_dir != str(log_dir) or not manifest.state:
        return None
    log = LogDir(log_dir)
    try:
        last = log.last_label()
        if skipped is not None:
            skipped += log.skipped
    finally:
        log.close()
    deadline = time.monotonic() + CATCH_UP
    # An index newer than the log's last line read lines since cut from the log: the follower
    # notices on its next read and builds it again, so wait for that as for a late one.
    while last and _behind(last, manifest.newest):
        if time.monotonic() > deadline or not manifest.newest:
            return None
        with contextlib.suppress(OSError):  # the follower reads at once instead of at its next tick
            (store.root / "wake").touch()
            if manifest.newest > last.decode():  # newer lines than the log has: build it again
                (store.root / "rebuild").touch()
        time.sleep(0.05)
        manifest = store.manifest() or manifest
    return store, manifest


def _behind(last: bytes, newest: str) -> bool:
    """The index lacks the log's last line, or holds lines past it (cut from the log since)."""
    return not newest or to_unix(last) - to_unix(newest) > STALE or newest > last.decode()


def first_label(manifest: Manifest) -> str:
    return next((f["first"] for f in sorted(manifest.files, key=lambda f: f["no"]) if f["first"]), "")


def report(
    request: ReportRequest,
    log_dir: Path,
    domains: Domains,
    owned: set[str] | None,
    uids: set[int] | None,
    warnings: list[str],
    tracker: Tracker,
) -> dict[str, Any] | None:
    skipped: list[str] = []
    found = usable(log_dir, skipped)
    if found is None:
        return None
    store, manifest = found
    lookback = log_config.queuelifetime(settings.roots.qmail) + 86400.0
    first = first_label(manifest)
    notes = [f"Left out: {problem}" for problem in skipped]  # as the selection says it
    if not first:
        notes.append(f"Warning: there are no logs in {log_dir}.")
    elif encode(request.start) < first.encode():
        notes.append(f"Warning: We only have logs dating back to {format_local(to_unix(first))}.")
    warnings[:0] = notes
    series = Series(
        max(request.start, to_unix(first) if first else request.start),
        min(request.end, max(request.start, now())),
    )
    tracker.step("querying the index", 0, 1, force=True)
    period = Period(store.root, manifest, request.start, request.end, lookback, threads=_threads())
    watcher = _Watcher(tracker, period.con)
    try:
        wanted = request.filters
        rules = rules_for(wanted.rcpt, wanted.sender, owned, uids)
        rep = Report(period, rules, request.channel, domains)
        if request.report in SHOW_REPORTS:
            result = _show(request, rep, series)
        elif request.report == CAUSES_REPORT:
            result = _table(request, rep.causes().table(), series, rep)
        else:
            result = _ranked(request, rep, series)
    except Exception:
        if tracker.cancelled():
            raise Cancelled("The report was cancelled.") from None
        raise
    finally:
        watcher.stop()
        period.close()
    result["series"], result["totals"] = series.as_dict(), series.totals()
    result["source"] = "index"
    result["newest"] = to_unix(manifest.newest) if manifest.newest else None
    return result


def _show(request: ReportRequest, rep: Report, series: Series) -> dict[str, Any]:
    rows, total = rep.show(SHOW_REPORTS[request.report], request.limit, request.offset)
    rep.show_series(series)
    out: list[list[Any]] = []
    for finished, res, channel, rcpt, sender, size, msg, text, known in rows:
        cells: list[Any] = [ns_unix(finished), _NAMES[res], channel or "?", rcpt or "?"]
        if request.detail:
            cells += [sender_text(sender) if known else "?", size if known else 0]
        out.append([*cells, msg, readable(text)])
    columns = SHOW_DETAIL_COLUMNS if request.detail else SHOW_COLUMNS
    return {"columns": list(columns), "rows": out, "total_rows": total, "sort": None}


def _table(request: ReportRequest, table: Any, series: Series, rep: Report) -> dict[str, Any]:
    from .logs_ops import page_of  # sorted and cut as the report read from the log is

    rep.top_series(series)
    return page_of(request, table)


def _ranked(request: ReportRequest, rep: Report, series: Series) -> dict[str, Any]:
    """A top-* table sorted and cut in the database: only the rows shown come back."""
    from .logs_ops import _column

    columns = table(request.report, Stats(), by=request.by).columns
    column = _column(columns, request.sort) if request.sort else None
    rep.top_series(series)
    shown, total = ranked(
        rep, request.report, request.by, column, request.reverse, request.limit, request.offset
    )
    return {"columns": shown.columns, "rows": shown.rows, "total_rows": total, "sort": shown.sort_column}


class _Watcher:
    """Interrupts the running query when the report is cancelled (checked ten times a second)."""

    def __init__(self, tracker: Tracker, con: Any) -> None:
        self.tracker, self.con = tracker, con
        self.done = threading.Event()
        self.thread: threading.Thread | None = None
        if tracker.rid is not None:
            self.thread = threading.Thread(target=self._watch, daemon=True)
            self.thread.start()

    def _watch(self) -> None:
        while not self.done.wait(0.1):
            if self.tracker.cancelled():
                self.con.interrupt()
                return

    def stop(self) -> None:
        self.done.set()
        if self.thread is not None:
            self.thread.join()


def status(log_dir: Path) -> dict[str, Any]:
    """What the index holds and how current it is, for the page's "newest log line" and settings."""
    store = store_for(log_dir)
    log = LogDir(log_dir)
    try:
        last = log.last_label()
        log_bytes = sum(f.size for f in log.files)
    finally:
        log.close()
    answer: dict[str, Any] = {
        "state": "absent",
        "log_newest": to_unix(last) if last else None,
        "log_bytes": log_bytes,
        "newest": None,
        "lag": None,
        "bytes": 0,
        "rows": {},
        "built": None,
        "build_seconds": None,
        "retention_days": store.retention_days() if store is not None else None,
        "building": None,
    }
    if store is None:
        answer["state"] = "off"
        return answer
    progress = store.root / "build.json"
    if progress.exists():
        with contextlib.suppress(OSError, ValueError):
            answer["building"] = json.loads(progress.read_text())
    manifest = store.manifest()
    if manifest is None:
        answer["state"] = "building" if answer["building"] else "absent"
        return answer
    newest = to_unix(manifest.newest) if manifest.newest else None
    rows: dict[str, int] = {}
    for segment in manifest.segments:
        for name, n in segment["rows"].items():
            rows[name] = rows.get(name, 0) + n
    answer.update(
        newest=newest,
        lag=(answer["log_newest"] - newest) if newest and answer["log_newest"] else None,
        bytes=store.size(manifest),
        rows=rows,
        built=manifest.built,
        build_seconds=manifest.build_seconds,
        first=to_unix(first_label(manifest)) if first_label(manifest) else None,
    )
    answer["state"] = "ready" if usable(log_dir) is not None else "stale"
    return answer
