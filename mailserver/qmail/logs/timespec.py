"""The guide's time arguments: fuzzy durations ("hstamps"), epoch seconds and ``now``.

``qmail-last-x "3 hours"``, ``hstamp "5 hours ago"`` and ``qmail-start-end START END`` all take one
number and one unit. The guide forbids mixing units ("3 days 12 hours 4 minutes"): the admin is
told to do the math, and we do it for them in the message so the fix is one copy-paste away.

Every moment is an epoch second in ``0 <= t < 2**40`` (up to the year 36812; a TAI64N label holds
far more, but nothing beyond that is a date anyone means), and a number in a fuzzy date has at most
12 digits: a 400-digit epoch would otherwise be infinity, and a 5000-digit count an int() error.
An hstamp that reaches back before 1970 is 0, the start of the epoch.
"""

from __future__ import annotations

import math
import os
import re
import time
from datetime import datetime, tzinfo

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

MAX_EPOCH = 2**40  # moments are epoch seconds in [0, MAX_EPOCH); durations are at most MAX_EPOCH
MAX_DIGITS = 12
# ASCII digits ("\d" takes "٣"), and fullmatch: with match, "$" also matches before a final newline.
_TERM = re.compile(r"([0-9]{1,12})\s*([a-z]+)")
_ONE = re.compile(r"([0-9]{1,12})\s*([a-z]+)(?:\s+ago)?")
_LONG_NUMBER = re.compile(r"[0-9]{13}")
_EPOCH = re.compile(r"[0-9]+(?:\.[0-9]+)?")  # `date +%s` (or `date +%s.%N`) output
_ISO = re.compile(r"[0-9]{4}-[0-9][0-9]-[0-9][0-9](?:[ T][0-9][0-9]:[0-9][0-9](?::[0-9][0-9])?)?")


class TimeSpecError(InvalidValue):
    """A time argument the tools cannot read; the message says what to type instead."""


def _shown(text: str) -> str:
    """``text`` for an error message: a pasted megabyte is not echoed back whole."""
    return text if len(text) <= 40 else text[:37] + "..."


def in_range(seconds: float, text: str) -> float:
    """``seconds`` if it is a moment the tools handle (``0 <= t < 2**40``), else TimeSpecError."""
    if not (math.isfinite(seconds) and 0 <= seconds < MAX_EPOCH):
        raise TimeSpecError(
            f'"{_shown(text)}" is out of range: a moment must lie between 1970 and the year 36812 '
            f"(epoch seconds 0 to {MAX_EPOCH - 1})"
        )
    return seconds


def now() -> float:
    """The current time, or NODEWORX_NOW (epoch seconds) so tests and demos are repeatable."""
    fixed = os.environ.get(NOW_ENV, "").strip()
    if fixed:
        try:
            value = float(fixed)
        except ValueError:
            raise TimeSpecError(f"{NOW_ENV}={_shown(fixed)!r} is not epoch seconds") from None
        try:
            return in_range(value, fixed)
        except TimeSpecError as exc:
            raise TimeSpecError(f"{NOW_ENV}: {exc}") from None
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
    if _LONG_NUMBER.search(spec):
        raise TimeSpecError(f'"{_shown(text)}" has a number of more than {MAX_DIGITS} digits')
    match = _ONE.fullmatch(spec)
    if match is None:
        _refuse_mixed(spec)
        raise TimeSpecError(
            f'"{_shown(text)}" is not a fuzzy date: give a number and one unit, e.g. "3 hours", '
            f'"5 minutes", "6 days", "1 week ago"'
        )
    count, unit = match.groups()
    if unit not in _UNITS:
        raise TimeSpecError(
            f'Unknown unit "{_shown(unit)}" in "{_shown(text)}": use seconds, minutes, hours, days or weeks'
        )
    seconds = int(count) * _UNITS[unit]
    if seconds > MAX_EPOCH:
        raise TimeSpecError(f'"{_shown(text)}" is too long: at most {MAX_EPOCH} seconds')
    return seconds


def parse_point(text: str, *, at: float | None = None, zone: tzinfo | None = None) -> float:
    """A moment: epoch seconds, ``now``, ``YYYY-MM-DD[ HH:MM[:SS]]`` or an hstamp.

    A date is read in ``zone``; without one, in the process's local time (the command-line
    tools: the mail host's clock). Explicit moments outside ``0 <= t < 2**40`` are refused; an
    hstamp reaching back before 1970 is 0. A date-shaped text that is no date ("2026-13-45")
    raises a plain ValueError.
    """
    spec = " ".join(text.strip().lower().split())
    reference = now() if at is None else in_range(at, str(at))
    if spec == "now":
        return reference
    if _EPOCH.fullmatch(spec):
        return in_range(float(spec), text)
    if _ISO.fullmatch(spec):
        parsed = datetime.fromisoformat(spec)  # ValueError for "2026-13-45"
        if zone is not None:
            parsed = parsed.replace(tzinfo=zone)
        try:
            moment = parsed.timestamp()
        except (OverflowError, OSError, ValueError):  # a real date the platform cannot place (year 1)
            raise TimeSpecError(f'"{_shown(text)}" is out of range: give a date after 1970') from None
        return in_range(moment, text)
    return max(0.0, reference - parse_duration(spec))


def pinned(text: str, zone: tzinfo) -> str:
    """``text`` for a reader whose clock may be in another zone than ``zone``: a date, read in
    ``zone``, as epoch seconds; the other forms (now, hstamps, epoch seconds) mean the same in
    every zone and stay as typed. Raises what parse_point raises for a date that is none.

    The panel shows times in its own zone and the agent reads dates in the mail host's: a time
    copied from a table must select that moment, not one shifted by the difference.
    """
    if not _ISO.fullmatch(" ".join(text.strip().lower().split())):
        return text
    return str(int(parse_point(text, at=0, zone=zone)))


def hstamp(text: str, *, at: float | None = None) -> int:
    """Epoch seconds for ``"5 hours ago"``, what the ``hstamp`` command prints."""
    return int(parse_point(text, at=at))
