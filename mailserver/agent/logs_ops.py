"""Mail log operations (read-only): a report over a period of qmail-send's log, one message's timeline.

A report answers from the delivery index when it is up to date (logs_indexed.py), else by
reading the log (here), and says which in ``source``.

Reads ROOTS/var/log/qmail/send (qmail-send's multilog directory: the ``@….s`` files and
``current``), and ROOTS/var/qmail/control/virtualdomains and users/assign (which domains a Unix
user owns, and how to print virtual-domain addresses as sent). ROOTS/var/qmail/control/queuelifetime
bounds how far back the headers of queued mail are looked for. Writes nothing on the mail server
except the log library's index cache of rotated files, under ROOTS/var/cache/nodeworx/qmail-logs
(or NODEWORX_QMAIL_LOG_CACHE). Payloads are checked by mailserver.qmail.logs.request, as the form does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from mailserver.protocol import Op
from mailserver.qmail.errors import FieldError, QmailError
from mailserver.qmail.logs import config as log_config
from mailserver.qmail.logs import filters as x
from mailserver.qmail.logs import request as logs_payload
from mailserver.qmail.logs.causes import COLUMNS as CAUSES_COLUMNS
from mailserver.qmail.logs.causes import Causes
from mailserver.qmail.logs.context import info_lines
from mailserver.qmail.logs.domains import Domains
from mailserver.qmail.logs.files import LogDir
from mailserver.qmail.logs.index import CACHE_ENV, IndexCache
from mailserver.qmail.logs.messages import Message, messages
from mailserver.qmail.logs.records import readable, sender_text
from mailserver.qmail.logs.render import SHOW_COLUMNS, SHOW_DETAIL_COLUMNS
from mailserver.qmail.logs.reports import Stats, show, sides_for, table
from mailserver.qmail.logs.request import CAUSES_REPORT, SHOW_REPORTS, Filters, ReportRequest
from mailserver.qmail.logs.selection import DELIVERY_HORIZON, select
from mailserver.qmail.logs.series import Series
from mailserver.qmail.logs.tai64n import encode, label_unix, to_unix
from mailserver.qmail.logs.timespec import now

from . import logs_indexed
from .celeryapp import settings
from .operations import Payload, operation
from .report_progress import Cancelled, Tracker


def _log_dir() -> Path:
    path = settings.roots.log_dir("send")
    if not path.is_dir():
        raise QmailError(f"There is no qmail-send log on this server: {path} does not exist.")
    return path


def _lookback() -> float:
    # A queued message's header can be as old as qmail lets mail wait, plus a day of slack.
    return log_config.queuelifetime(settings.roots.qmail) + 86400.0


def _cache(log_dir: Path) -> IndexCache:
    if os.environ.get(CACHE_ENV):
        return IndexCache(log_dir)
    # The agent is root: keep the index beside the server's other caches, not in root's home.
    return IndexCache(log_dir, settings.server_root / "var/cache/nodeworx/qmail-logs")


def _owned_uids(
    wanted: Filters, domains: Domains, warnings: list[str]
) -> tuple[set[str] | None, set[int] | None]:
    """The domains of the users asked for (xuser) and the webmail's uids (xwebmail), when asked."""
    owned = uids = None
    if wanted.users:
        owned = set().union(*(domains.owned_by(user) for user in wanted.users))
        if not owned:
            warnings.append(f"{', '.join(wanted.users)} owns no domain in control/virtualdomains.")
    if wanted.webmail:
        uids = log_config.webmail_uids(list(wanted.webmail_uids) or None)
        if not uids:
            raise FieldError("webmail_uids", "No webmail uid on this server: give the webmail's uid or user.")
    return owned, uids


def _rules(wanted: Filters, domains: Domains, owned: set[str] | None, uids: set[int] | None) -> list[x.Rule]:
    """The x-filters asked for, in the order a pipeline would apply them."""
    rules = []
    if wanted.rcpt:
        rules.append(x.by_recipient(wanted.rcpt, domains))
    if wanted.sender:
        rules.append(x.by_sender(wanted.sender))
    if owned is not None:
        rules.append(x.by_owner(owned))
    if uids is not None:
        rules.append(x.by_uid(uids))
    return rules


@operation(Op.LOGS_REPORT)
def report(payload: Payload) -> dict[str, Any]:
    """One report (show-*, top-*, deferrals-by-cause) over a period, with the x-filters, and a chart.

    Payload: {"period": {"last": "3 hours"} | {"start": S, "end": E},  (timespec: epoch seconds,
              "5 hours ago", "YYYY-MM-DD HH:MM" in the server's zone, "now")
              "filters": {"rcpt": [...], "sender": [...], "user": [...], "webmail": bool,
                          "webmail_uids": [...]},
              "report": "show-all" | "show-success" | "show-deferrals" | "show-failures" | "top-…"
                        | "deferrals-by-cause",
              "detail": bool (show-*), "channel": "both" | "local" | "remote" (top-*, causes),
              "sort": column, "reverse": bool, "by": "recipient" | "sender" (top-deferrals/failures),
              "limit": 1..500, "offset": rows to skip (paging), "report_id": ID (optional: follow
              it with agent.logs.progress, stop it with agent.logs.cancel),
              "source": "auto" | "index" | "log"}
    Returns: {"report", "start", "end", "columns", "rows", "total_rows", "truncated", "limit", "offset",
              "sort", "warnings", "series": {"bucket", "times", "success", "deferral", "failure"},
              "totals": {"success", "deferral", "failure"}, "source": "index" | "log",
              "newest": epoch seconds of the newest line read}; show-* "time" cells are epoch
              seconds, deferrals-by-cause "first_seen" / "last_seen" too (whole seconds).
    """
    request = logs_payload.report_request(payload)
    if request.report not in SHOW_REPORTS:  # refuse an unknown sort column before reading anything
        if request.report == CAUSES_REPORT:
            columns = list(CAUSES_COLUMNS)
        else:
            columns = table(request.report, Stats(), by=request.by).columns
        if request.sort:
            _column(columns, request.sort)
    log_dir = _log_dir()
    domains = Domains.load(settings.roots.qmail)
    warnings: list[str] = []
    owned, uids = _owned_uids(request.filters, domains, warnings)
    tracker = Tracker(request.report_id)
    try:
        result = None
        if request.source != "log":
            result = logs_indexed.report(request, log_dir, domains, owned, uids, warnings, tracker)
            if result is None and request.source == "index":
                raise FieldError("source", "The delivery index is not up to date on this server yet.")
        if result is None:
            result = _streamed(
                request, log_dir, domains, _rules(request.filters, domains, owned, uids), warnings, tracker
            )
    except Cancelled:
        tracker.finish("cancelled")
        raise
    except Exception:
        tracker.finish("failed")
        raise
    tracker.finish("done")
    total, rows = result["total_rows"], result["rows"]
    if total > len(rows):
        shown = (
            f"the first {len(rows)}"
            if not request.offset
            else f"rows {request.offset + 1}-{request.offset + len(rows)}"
        )
        warnings.append(
            f"Showing {shown} of {total} rows: the next page, a shorter period or a filter shows the rest."
        )
    return {
        "report": request.report,
        "start": request.start,
        "end": request.end,
        "limit": request.limit,
        "offset": request.offset,
        "truncated": total > len(rows),
        "warnings": warnings,
        **result,
    }


def _streamed(
    request: ReportRequest,
    log_dir: Path,
    domains: Domains,
    rules: list[x.Rule],
    warnings: list[str],
    tracker: Tracker,
) -> dict[str, Any]:
    selection = select(log_dir, request.start, request.end, lookback=_lookback(), cache=_cache(log_dir))
    try:
        warnings[:0] = selection.warnings
        first = selection.log.first_label()
        # The chart covers the part of the period we have logs for, and nothing in the future.
        series = Series(
            max(request.start, to_unix(first) if first else request.start),
            min(request.end, max(request.start, now())),
        )
        chunks: Iterable[bytes] = _tracked(selection, tracker)
        for rule in rules:
            chunks = x.apply(chunks, rule)
        if request.report in SHOW_REPORTS:
            result = _show(request, chunks, series)
        elif request.report == CAUSES_REPORT:
            result = _causes(request, chunks, series, domains)
        else:
            result = _top(request, chunks, series, domains)
        last = selection.log.last_label()
    finally:
        selection.log.close()
    return {**result, "series": series.as_dict(), "totals": series.totals(), "source": "log",
            "newest": to_unix(last) if last else None}  # fmt: skip


def _tracked(selection: Any, tracker: Tracker) -> Iterator[bytes]:
    """The selection's blocks, saying how far the read got (and stopping when cancelled)."""
    total = sum(last - first for _, first, last in selection.log.ranges(selection.begin, selection.stop))
    done = 0
    tracker.step("reading the log", 0, total, force=True)
    for chunk in selection.chunks():
        done += len(chunk)
        tracker.step("reading the log", done, total)
        yield chunk
    tracker.step("reading the log", total, total, force=True)


def _column(columns: list[str], prefix: str) -> str:
    matches = [c for c in columns if c == prefix] or [c for c in columns if c.startswith(prefix)]
    if len(matches) != 1:
        raise FieldError("sort", f"no single column matches {prefix!r}; columns: {', '.join(columns)}")
    return matches[0]


def page_of(request: ReportRequest, result: Any) -> dict[str, Any]:
    """A whole table (top-*, causes) sorted as asked and cut to the request's page."""
    result.sort(_column(result.columns, request.sort) if request.sort else None, reverse=request.reverse)
    return {
        "columns": result.columns,
        "rows": result.rows[request.offset : request.offset + request.limit],
        "total_rows": len(result.rows),
        "sort": result.sort_column,
    }


def _show(request: ReportRequest, chunks: Iterable[bytes], series: Series) -> dict[str, Any]:
    """show-*: one row per delivery result, in log order; every result feeds the chart."""
    wanted = SHOW_REPORTS[request.report]
    rows: list[list[Any]] = []
    total = 0
    for row in show(chunks):
        series.add(row.when, row.result)
        if row.result not in wanted:
            continue
        total += 1
        if request.offset < total <= request.offset + request.limit:
            cells: list[Any] = [row.when, row.result, row.channel, row.recipient]
            if request.detail:
                cells += ["?" if row.sender is None else sender_text(row.sender), row.size]
            rows.append([*cells, row.msg, readable(row.text)])
    columns = SHOW_DETAIL_COLUMNS if request.detail else SHOW_COLUMNS
    return {"columns": list(columns), "rows": rows, "total_rows": total, "sort": None}


def _charted(messages_: Iterable[Message], series: Series, channel: str | None) -> Iterator[Message]:
    """Pass messages on to the counters, adding their results (on the channel) to the chart."""
    for message in messages_:
        for attempt in message.attempts:
            if attempt.result and (channel is None or attempt.channel == channel):
                series.add(label_unix(attempt.finished), attempt.result)
        yield message


def _top(request: ReportRequest, chunks: Iterable[bytes], series: Series, domains: Domains) -> dict[str, Any]:
    stats = Stats(request.channel, domains, sides_for(request.report, request.by))
    stats.add_all(_charted(messages(chunks), series, request.channel))
    return page_of(request, table(request.report, stats, by=request.by))


def _causes(
    request: ReportRequest, chunks: Iterable[bytes], series: Series, domains: Domains
) -> dict[str, Any]:
    causes = Causes(request.channel, domains).add_all(_charted(messages(chunks), series, request.channel))
    return page_of(request, causes.table())


@operation(Op.LOGS_MESSAGE)
def message(payload: Payload) -> dict[str, Any]:
    """The timeline of the message numbered ``id`` that was in the queue at ``at``.

    Payload: {"id": N, "at": epoch seconds of one of its lines}. Message numbers are inodes and
    qmail reuses them, so ``at`` picks the one meant. Reads ROOTS/var/log/qmail/send from the
    message's ``info msg`` line (found through the index) up to its ``end msg``.
    Returns: {"id", "sender", "size", "uid", "arrived", "ended", "recipients",
              "events": [{"time", "kind", "text"}], "attempts": [{"number", "channel",
              "recipient", "started", "finished", "result", "reply"}], "warnings"}.
    """
    msg_id, at = logs_payload.message_request(payload)
    log = LogDir(_log_dir())
    try:
        found = _find(log, msg_id, at)
    finally:
        log.close()
    if found is None:
        raise FieldError("id", f"No message {msg_id} was in the queue at that time in this server's log.")
    return _timeline(found)


def _find(log: LogDir, msg_id: int, at: float) -> Message | None:
    lookback = _lookback()
    # Read from the last `info msg` of this number before `at`: if it is the wanted message's, its
    # `new msg` is a moment before it; if `at` is that very arrival, an older one is found and we
    # only read a little more. With no header at all, a day before `at` covers its attempts.
    oldest = encode(max(0.0, at - lookback))
    heads = info_lines(log, log.seek(encode(at)), {msg_id}, oldest, _cache(log.path))
    since = to_unix(heads[0][1][1:25]) - 1 if heads else at - DELIVERY_HORIZON
    stop = log.seek(encode(at + lookback))
    best, best_gap = None, 1.0  # a second of slack for a time that was rounded on the way
    for candidate in messages(log.chunks(log.seek(encode(max(0.0, since))), stop)):
        if candidate.id != msg_id:
            continue
        first, last = _span(candidate)
        gap = max(first - at, at - last, 0.0)
        if gap == 0.0:
            return candidate
        if gap < best_gap:
            best, best_gap = candidate, gap
        if candidate.arrived and first > at + 1:
            break  # later messages reuse the number; none can be nearer
    return best


def _span(message: Message) -> tuple[float, float]:
    """First and last moment the message is seen (last: infinity while it is still queued)."""
    stamps = [message.arrived, message.ended, *(a.started for a in message.attempts)]
    first = min((label_unix(s) for s in stamps if s), default=float("inf"))
    return first, label_unix(message.ended) if message.ended else float("inf")


def _kind(text: str) -> str:
    """What a Message.timeline() entry is, for the page's badges."""
    head = text.split(":", 1)[0].split()
    if head[0] == "delivery" and len(head) > 2:
        return "start" if head[2] == "started" else head[2]
    return {"arrived": "arrival", "bounce": "bounce", "left": "end"}.get(head[0], "other")


def _timeline(message: Message) -> dict[str, Any]:
    warnings = []
    if not message.arrived:
        warnings.append("It arrived before the oldest log line read: its arrival is not shown.")
    if not message.ended:
        warnings.append("It had not left the queue by the end of the log.")
    return {
        "id": message.id,
        "sender": None if message.sender is None else sender_text(message.sender),
        "size": message.size,
        "uid": message.uid,
        "arrived": label_unix(message.arrived) if message.arrived else None,
        "ended": label_unix(message.ended) if message.ended else None,
        "recipients": message.recipients,
        "events": [{"time": t, "kind": _kind(text), "text": text} for t, text in message.timeline()],
        "attempts": [
            {
                "number": a.number,
                "channel": a.channel,
                "recipient": a.recipient,
                "started": label_unix(a.started) if a.started else None,
                "finished": label_unix(a.finished) if a.finished else None,
                "result": a.result,
                "reply": readable(a.text),
            }
            for a in message.attempts
        ],
        "warnings": warnings,
    }
