"""The guide's time arguments: fuzzy durations ("hstamps"), epoch seconds and ``now``.

``qmail-last-x "3 hours"``, ``hstamp "5 hours ago"`` and ``qmail-start-end START END`` all take one
number and one unit. The guide forbids mixing units ("3 days 12 hours 4 minutes"): the admin is
told to do the math, and we do it for them in the message so the fix is one copy-paste away.
"""

from __future__ import annotations

import os
import re
import time
from datetime import datetime

from ..errors import InvalidValue

NOW_ENV = "NODEWORX_NOW"

# Seconds per unit; plural and short spellings map to the same unit.
_UNITS: dict[str, int] = {}
for _names, _seconds in (
    (("s", "sec", "secs", "second", "seconds"), 1),
    (("m", "min", "mins", "minute", "minutes"), 60),
    (("h", "hr", "hrs", "hour", "hours"), 3600),
    (("d", "day", "days"), 86400),
    (("w", "wk", "wks", "week", "weeks"), 604800),
):
    for _name in _names:
        _UNITS[_name] = _seconds
_CANONICAL = {1: "seconds", 60: "minutes", 3600: "hours", 86400: "days", 604800: "weeks"}

_TERM = re.compile(r"(\d+)\s*([a-z]+)")
_ONE = re.compile(r"^(\d+)\s*([a-z]+)(?:\s+ago)?$")
_EPOCH = re.compile(r"^\d+(?:\.\d+)?$")  # `date +%s` (or `date +%s.%N`) output
_ISO = re.compile(r"^\d{4}-\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d)?)?$")


class TimeSpecError(InvalidValue):
    """A time argument the tools cannot read; the message says what to type instead."""


def now() -> float:
    """The current time, or NODEWORX_NOW (epoch seconds) so tests and demos are repeatable."""
    fixed = os.environ.get(NOW_ENV, "").strip()
    if fixed:
        try:
            return float(fixed)
        except ValueError:
            raise TimeSpecError(f"{NOW_ENV}={fixed!r} is not epoch seconds") from None
    return time.time()


def _refuse_mixed(text: str) -> None:
    terms = _TERM.findall(text)
    if len(terms) < 2 or any(unit not in _UNITS for _, unit in terms):
        return
    smallest = min(_UNITS[unit] for _, unit in terms)
    total = sum(int(n) * _UNITS[unit] for n, unit in terms) // smallest
    raise TimeSpecError(
        f'Mixed fuzzy dates are not allowed: "{text}". Do the math and give one unit, '
        f'e.g. "{total} {_CANONICAL[smallest]}".'
    )


def parse_duration(text: str) -> int:
    """Seconds in ``"5 minutes"``, ``"12 hours ago"``, ``"1 week"``; refuses mixed units."""
    spec = " ".join(text.strip().lower().split())
    match = _ONE.match(spec)
    if match is None:
        _refuse_mixed(spec)
        raise TimeSpecError(
            f'"{text}" is not a fuzzy date: give a number and one unit, e.g. "3 hours", '
            f'"5 minutes", "6 days", "1 week ago"'
        )
    count, unit = match.groups()
    if unit not in _UNITS:
        raise TimeSpecError(f'Unknown unit "{unit}" in "{text}": use seconds, minutes, hours, days or weeks')
    return int(count) * _UNITS[unit]


def parse_point(text: str, *, at: float | None = None) -> float:
    """A moment: epoch seconds, ``now``, ``YYYY-MM-DD[ HH:MM[:SS]]`` (local time) or an hstamp."""
    spec = " ".join(text.strip().lower().split())
    reference = now() if at is None else at
    if spec == "now":
        return reference
    if _EPOCH.match(spec):
        return float(spec)
    if _ISO.match(spec):
        return datetime.fromisoformat(spec).timestamp()
    return reference - parse_duration(spec)


def hstamp(text: str, *, at: float | None = None) -> int:
    """Epoch seconds for ``"5 hours ago"``, what the ``hstamp`` command prints."""
    return int(parse_point(text, at=at))
