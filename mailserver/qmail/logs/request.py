"""Validation of the mail log operations' payloads: what the page may ask the agent to read.

The page's form runs the same checks first (mailserver.logs.forms calls these), so a value the
agent refuses is shown beside its field; the agent runs them again because it trusts no payload.
Every error names the form field. This module imports only the log library, not the agent's
Celery app, so the web process can use it without the agent's signing key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mailserver.qmail.errors import FieldError

from .reports import RESULTS, TOP_REPORTS
from .timespec import MAX_EPOCH, TimeSpecError, now, parse_duration, parse_point

Payload = dict[str, Any]

MAX_ROWS = 500  # a page of results; past this the answer says it was cut
MAX_OFFSET = 10_000_000  # the rows before a page (a week of a busy server has a few million)
MAX_VALUES = 20  # addresses / users per filter
SHOW_REPORTS: dict[str, tuple[str, ...]] = {
    "show-all": RESULTS,
    "show-success": ("success",),
    "show-deferrals": ("deferral",),
    "show-failures": ("failure",),
}
CAUSES_REPORT = "deferrals-by-cause"  # deferrals and failures by domain and reply class (causes.py)
REPORTS = (*SHOW_REPORTS, *TOP_REPORTS, CAUSES_REPORT)
SOURCES = ("auto", "index", "log")  # the delivery index when it is up to date, or the log itself
_REPORT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
CHANNELS: dict[str, str | None] = {"both": None, "local": "local", "remote": "remote"}
BY = ("recipient", "sender")

# Addresses as qmail logs them: anything without blanks, brackets or separators around one "@".
# Used with fullmatch (with match, "$" also matches before a final newline); digits are ASCII.
_ADDRESS = re.compile(r"[^\s<>,;@\"]{1,64}@[^\s<>,;@\"]{1,255}")
_USER = re.compile(r"(?:[a-z_][a-z0-9_.-]{0,31}|[0-9]{1,10})", re.IGNORECASE)


@dataclass(frozen=True)
class Filters:
    rcpt: tuple[str, ...] = ()
    sender: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    webmail: bool = False
    webmail_uids: tuple[str, ...] = ()  # empty: the server's NODEWORX_WEBMAIL_UIDS / apache, www-data


@dataclass(frozen=True)
class ReportRequest:
    start: float
    end: float
    report: str
    filters: Filters = field(default_factory=Filters)
    detail: bool = False
    channel: str | None = None
    sort: str | None = None
    reverse: bool = False
    by: str = "recipient"
    limit: int = MAX_ROWS
    offset: int = 0  # rows to skip: the page's next pages
    report_id: str | None = None  # names the report for agent.logs.progress / agent.logs.cancel
    source: str = "auto"


def _time(name: str, text: Any, reference: float) -> float:
    if not isinstance(text, str) or not text.strip():
        raise FieldError(name, f"{name} is required")
    try:
        return max(0.0, parse_point(text, at=reference))
    except TimeSpecError as exc:
        raise FieldError(name, str(exc)) from None
    except ValueError:  # e.g. "2026-13-45": the shape of a date, not a real one
        raise FieldError(name, f'"{text}" is not a date: use YYYY-MM-DD HH:MM') from None


def period(value: Any) -> tuple[float, float]:
    """``{"last": "3 hours"}`` or ``{"start": …, "end": …}`` (end defaults to now) -> (start, end)."""
    if not isinstance(value, dict):
        raise FieldError("period", 'period must be {"last": …} or {"start": …, "end": …}')
    reference = now()
    if value.get("last") is not None:
        text = value["last"]
        if not isinstance(text, str):
            raise FieldError("last", "last must be a fuzzy duration such as '3 hours'")
        try:
            seconds = parse_duration(text)
        except ValueError as exc:  # TimeSpecError is one; the message names what to type
            raise FieldError("last", str(exc)) from None
        if seconds <= 0:
            raise FieldError("last", "the period must be longer than 0 seconds")
        return max(0.0, reference - seconds), reference
    start = _time("start", value.get("start"), reference)
    end = _time("end", value.get("end") or "now", reference)
    if end <= start:
        raise FieldError("end", "End must be after Start")
    return start, end


def values(raw: Any, name: str, pattern: re.Pattern[str], extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A list of strings (or one string), each matching ``pattern`` or being one of ``extra``."""
    if raw is None or raw == "":
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise FieldError(name, f"{name} must be a list of strings")
    cleaned = tuple(v.strip() for v in items if v.strip() or v in extra)
    if len(cleaned) > MAX_VALUES:
        raise FieldError(name, f"at most {MAX_VALUES} values")
    for value in cleaned:
        if value not in extra and not pattern.fullmatch(value.strip("<>") if "@" in value else value):
            raise FieldError(name, f'"{value}" is not a valid {name.replace("_", " ")}')
    return cleaned


def filters(raw: Any) -> Filters:
    if raw is None:
        return Filters()
    if not isinstance(raw, dict):
        raise FieldError("filters", "filters must be an object")
    webmail = raw.get("webmail", False)
    if not isinstance(webmail, bool):
        raise FieldError("webmail", "webmail must be true or false")
    return Filters(
        rcpt=values(raw.get("rcpt"), "rcpt", _ADDRESS),
        # "<>" selects bounces (the null sender), "#@[]" qmail's double bounces.
        sender=values(raw.get("sender"), "sender", _ADDRESS, ("<>", "", "#@[]")),
        users=values(raw.get("user"), "user", _USER),
        webmail=webmail,
        webmail_uids=values(raw.get("webmail_uids"), "webmail_uids", _USER),
    )


def _flag(payload: Payload, name: str) -> bool:
    value = payload.get(name, False)
    if not isinstance(value, bool):
        raise FieldError(name, f"{name} must be true or false")
    return value


def report_request(payload: Payload) -> ReportRequest:
    start, end = period(payload.get("period"))
    report = payload.get("report")
    if report not in REPORTS:
        raise FieldError("report", f"unknown report {report!r}; use one of {', '.join(REPORTS)}")
    channel = payload.get("channel") or "both"
    if not isinstance(channel, str) or channel not in CHANNELS:  # a list would raise TypeError
        raise FieldError("channel", "channel must be local, remote or both")
    by = payload.get("by") or "recipient"
    if by not in BY:
        raise FieldError("by", "by must be recipient or sender")
    limit = payload.get("limit", MAX_ROWS)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_ROWS:
        raise FieldError("limit", f"limit must be a whole number from 1 to {MAX_ROWS}")
    sort = payload.get("sort") or None
    if sort is not None and (not isinstance(sort, str) or len(sort) > 40):
        raise FieldError("sort", "sort must be a column name")
    offset = payload.get("offset", 0)
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise FieldError("offset", f"offset must be a whole number from 0 to {MAX_OFFSET}")
    report_id = payload.get("report_id")
    if report_id is not None and (not isinstance(report_id, str) or not _REPORT_ID.fullmatch(report_id)):
        raise FieldError("report_id", "report_id must be 8 to 64 letters, digits, - or _")
    source = payload.get("source") or "auto"
    if source not in SOURCES:
        raise FieldError("source", "source must be auto, index or log")
    return ReportRequest(
        start=start,
        end=end,
        report=str(report),
        filters=filters(payload.get("filters")),
        detail=_flag(payload, "detail"),
        channel=CHANNELS[channel],
        sort=sort,
        reverse=_flag(payload, "reverse"),
        by=by,
        limit=limit,
        offset=offset,
        report_id=report_id,
        source=str(source),
    )


def message_request(payload: Payload) -> tuple[int, float]:
    """``{"id": N, "at": epoch seconds of one of its lines}``: ids are inodes, reused over time."""
    msg_id, at = payload.get("id"), payload.get("at")
    if isinstance(msg_id, bool) or not isinstance(msg_id, int) or not 0 < msg_id < 2**63:
        raise FieldError("id", "id must be a message number (the inode qmail logs)")
    # One range check: it also refuses inf and nan, and an int too big for math.isfinite().
    if isinstance(at, bool) or not isinstance(at, int | float) or not 0 <= at < MAX_EPOCH:
        raise FieldError("at", "at must be the epoch seconds of one of the message's lines")
    return msg_id, float(at)
