"""Validation of the queue operations' payloads: what the page, the agent and ``mailqueue`` may ask.

The page's forms call these first, so a value the agent refuses stands beside its field; the
agent calls them again because it trusts no payload. Every error is a FieldError naming the
field. Messages are always named by number (``ids``: ints), never by a path. Like
:mod:`mailserver.qmail.logs.request`, this imports no part of the agent.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Final

from ..addresses import check_hostname
from ..errors import FieldError, InvalidValue
from ..logs.timespec import TimeSpecError, parse_duration
from .layout import message_id
from .listing import SELECTS, SORTS, Filters, Pattern

Payload = dict[str, Any]

MAX_LIMIT: Final = 500  # rows of one page
MAX_IDS: Final = 10_000  # messages named in one request
PURGES: Final = ("local", "remote", "todo", "all")
MAX_SUBJECT: Final = 200
MAX_BODY: Final = 64 * 1024
MAX_RECIPIENTS: Final = 20

# An address pattern: no blanks, no control characters, no angle brackets (except "<>" itself).
_PATTERN = re.compile(r"[^\s<>\"\x00-\x1f\x7f]{1,320}")
# A test message's addresses go on qmail-inject's command line: a plain user@domain, nothing
# that could read as an option or need quoting.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def pattern(raw: Any, field: str) -> Pattern | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise FieldError(field, f"{field} must be text")
    value = raw.strip()
    if value in ("<>", "#@[]"):
        return Pattern.of(value)
    if not _PATTERN.fullmatch(value):
        raise FieldError(
            field,
            f'"{raw}" is not an address pattern: give an address, @domain, a pattern with * '
            "(*@example.com), or <> for bounces.",
        )
    return Pattern.of(value)


def _domain(raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise FieldError("domain", "domain must be text")
    try:
        return check_hostname(raw.strip().lstrip("@"), "The domain")
    except InvalidValue as exc:
        raise FieldError("domain", str(exc)) from None


def _seconds(raw: Any, field: str) -> float | None:
    """Seconds as a number, or a duration such as "3 hours" or "2 days"."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            return float(parse_duration(raw))
        except TimeSpecError as exc:
            raise FieldError(field, str(exc)) from None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw) or raw < 0:
        raise FieldError(field, f"{field} must be a number of seconds or a duration such as 3 hours")
    return float(raw)


def _count(raw: Any, field: str, maximum: int = 2**63) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= maximum:
        raise FieldError(field, f"{field} must be a whole number from 0 to {maximum}")
    return raw


def _flag(payload: Payload, name: str) -> bool:
    value = payload.get(name, False)
    if not isinstance(value, bool):
        raise FieldError(name, f"{name} must be true or false")
    return value


def filters(raw: Any) -> Filters:
    """``{"sender", "recipient", "domain", "min_age", "max_age", "min_size", "max_size", "select"}``."""
    if raw is None:
        return Filters()
    if not isinstance(raw, dict):
        raise FieldError("filters", "filters must be an object")
    unknown = set(raw) - {
        "sender",
        "recipient",
        "domain",
        "min_age",
        "max_age",
        "min_size",
        "max_size",
        "select",
    }
    if unknown:
        raise FieldError("filters", f"unknown filter {sorted(unknown)[0]!r}")
    select = raw.get("select") or None
    if select is not None and select not in SELECTS:
        raise FieldError("select", f"select must be one of {', '.join(SELECTS)}")
    found = Filters(
        sender=pattern(raw.get("sender"), "sender"),
        recipient=pattern(raw.get("recipient"), "recipient"),
        domain=_domain(raw.get("domain")),
        min_age=_seconds(raw.get("min_age"), "min_age"),
        max_age=_seconds(raw.get("max_age"), "max_age"),
        min_size=_count(raw.get("min_size"), "min_size"),
        max_size=_count(raw.get("max_size"), "max_size"),
        select=select,
    )
    if found.min_age is not None and found.max_age is not None and found.min_age > found.max_age:
        raise FieldError("max_age", "the largest age is smaller than the smallest")
    if found.min_size is not None and found.max_size is not None and found.min_size > found.max_size:
        raise FieldError("max_size", "the largest size is smaller than the smallest")
    return found


@dataclass(frozen=True)
class ListRequest:
    filters: Filters
    sort: str = "arrived"
    descending: bool = True
    offset: int = 0
    limit: int = 50


def list_request(payload: Payload) -> ListRequest:
    sort = payload.get("sort") or "arrived"
    if sort not in SORTS:
        raise FieldError("sort", f"sort must be one of {', '.join(SORTS)}")
    descending = payload.get("descending", sort in ("arrived", "size", "recipients"))
    if not isinstance(descending, bool):
        raise FieldError("descending", "descending must be true or false")
    offset = _count(payload.get("offset"), "offset") or 0
    limit = _count(payload.get("limit"), "limit", MAX_LIMIT)
    if limit == 0:
        raise FieldError("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return ListRequest(
        filters(payload.get("filters")), sort, descending, offset, 50 if limit is None else limit
    )


def ids(raw: Any) -> tuple[int, ...]:
    if not isinstance(raw, list) or not raw:
        raise FieldError("ids", "ids must be a list of message numbers")
    if len(raw) > MAX_IDS:
        raise FieldError("ids", f"at most {MAX_IDS} messages at a time")
    return tuple(dict.fromkeys(message_id(value, "ids") for value in raw))


def message_request(payload: Payload) -> int:
    return message_id(payload.get("id"))


def _expect(payload: Payload) -> int | None:
    """The count the admin confirmed: the change is refused if it no longer holds."""
    return _count(payload.get("expect_count"), "expect_count")


@dataclass(frozen=True)
class DeleteRequest:
    ids: tuple[int, ...] | None  # these messages, or
    filters: Filters | None  # every message matching these (never empty)
    dry_run: bool
    expect_count: int | None
    arrived: dict[int, int]  # id -> arrival the admin saw: a reused number is not deleted


def delete_request(payload: Payload) -> DeleteRequest:
    has_ids, has_filters = payload.get("ids") is not None, payload.get("filters") is not None
    if has_ids == has_filters:
        raise FieldError("ids", "name the messages (ids) or give filters, not both")
    chosen = ids(payload["ids"]) if has_ids else None
    found = filters(payload["filters"]) if has_filters else None
    if found is not None and found.empty:
        raise FieldError("filters", "give at least one filter (to delete everything, purge the whole queue)")
    arrived_raw = payload.get("arrived") or {}
    if not isinstance(arrived_raw, dict):
        raise FieldError("arrived", "arrived must map message numbers to arrival times")
    arrived = {}
    for key, value in arrived_raw.items():
        if not (isinstance(key, str) and key.isascii() and key.isdigit()):
            raise FieldError("arrived", f"{key!r} is not a message number")
        arrived[message_id(int(key), "arrived")] = _count(value, "arrived") or 0
    return DeleteRequest(chosen, found, _flag(payload, "dry_run"), _expect(payload), arrived)


@dataclass(frozen=True)
class PurgeRequest:
    part: str  # local, remote, todo or all
    dry_run: bool
    expect_count: int | None


def purge_request(payload: Payload) -> PurgeRequest:
    part = payload.get("queue")
    if part not in PURGES:
        raise FieldError("queue", f"queue must be one of {', '.join(PURGES)}")
    return PurgeRequest(part, _flag(payload, "dry_run"), _expect(payload))


@dataclass(frozen=True)
class ExpireRequest:
    ids: tuple[int, ...]
    dry_run: bool


def expire_request(payload: Payload) -> ExpireRequest:
    return ExpireRequest(ids(payload.get("ids")), _flag(payload, "dry_run"))


def reset_request(payload: Payload) -> None:
    if payload.get("confirm") is not True:
        raise FieldError("confirm", "a reset moves the whole queue aside: confirm it")


def address(raw: Any, field: str) -> str:
    """A plain ``user@domain`` for qmail-inject's command line."""
    if not isinstance(raw, str) or not raw.strip():
        raise FieldError(field, f"{field} is required")
    value = raw.strip()
    local, at, domain = value.rpartition("@")
    if not at or len(value) > 320 or not _LOCAL.fullmatch(local) or len(local) > 64 or value.startswith("-"):
        raise FieldError(field, f'"{raw}" is not an address such as user@example.com')
    try:
        return f"{local}@{check_hostname(domain, 'The domain')}"
    except InvalidValue as exc:
        raise FieldError(field, str(exc)) from None


@dataclass(frozen=True)
class InjectRequest:
    sender: str
    recipients: tuple[str, ...]
    subject: str
    body: str


def inject_request(payload: Payload) -> InjectRequest:
    sender = address(payload.get("from"), "from")
    raw_to = payload.get("to")
    items = [raw_to] if isinstance(raw_to, str) else raw_to
    if not isinstance(items, list) or not items:
        raise FieldError("to", "to is required")
    if len(items) > MAX_RECIPIENTS:
        raise FieldError("to", f"at most {MAX_RECIPIENTS} recipients")
    flat = [part for item in items for part in (item.split(",") if isinstance(item, str) else [item])]
    recipients = tuple(
        dict.fromkeys(address(item, "to") for item in flat if not isinstance(item, str) or item.strip())
    )
    if not recipients:
        raise FieldError("to", "to is required")
    subject = payload.get("subject", "")
    if not isinstance(subject, str) or len(subject) > MAX_SUBJECT or any(c in subject for c in "\r\n\0"):
        raise FieldError("subject", f"the subject is one line of at most {MAX_SUBJECT} characters")
    body = payload.get("body", "")
    if not isinstance(body, str) or len(body.encode()) > MAX_BODY or "\0" in body:
        raise FieldError("body", f"the body is text of at most {MAX_BODY // 1024} KB")
    return InjectRequest(sender, recipients, subject.strip(), body)
