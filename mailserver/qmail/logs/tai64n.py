"""TAI64N labels as multilog's ``t`` option writes them: ``@`` + 16 hex seconds + 8 hex nanoseconds.

daemontools puts 2**62 + 10 + unix time in the seconds field and ignores leap seconds, so the
conversion is a plain offset; subtracting the real TAI-UTC difference (37 s) would make every
time we print disagree with ``tai64nlocal`` by 27 s.

Labels are kept as the 24 lower-case hex bytes after the ``@`` wherever possible: two labels of
the same width compare in the same order as the times they encode, so the selectors can seek
and compare without decoding a single line.
"""

from __future__ import annotations

import time

from ..errors import InvalidValue

# 2**62 + 10: daemontools' TAI label for the unix epoch.
OFFSET = 0x400000000000000A
LABEL_LEN = 24  # hex digits after the "@"
STAMP_LEN = LABEL_LEN + 1  # "@" + label
_HEX = frozenset(b"0123456789abcdef")


def is_label(label: bytes) -> bool:
    """True for exactly 24 lower-case hex digits (what multilog writes)."""
    return len(label) == LABEL_LEN and _HEX.issuperset(label)


def decode(label: bytes | str) -> tuple[int, int]:
    """``(unix seconds, nanoseconds)`` for a label, with or without its leading ``@``."""
    raw = label.encode("ascii") if isinstance(label, str) else label
    if raw[:1] == b"@":
        raw = raw[1:]
    if not is_label(raw):
        raise InvalidValue(f"{label!r} is not a TAI64N label (@ + 24 lower-case hex digits)")
    return int(raw[:16], 16) - OFFSET, int(raw[16:], 16)


def to_unix(label: bytes | str) -> float:
    """Unix time as a float; nanoseconds beyond float precision are dropped."""
    seconds, nanos = decode(label)
    return seconds + nanos / 1e9


def label_unix(label: bytes) -> float:
    """:func:`to_unix` without the checks, for labels the joiner already cut out of log lines."""
    return int(label[:16], 16) - OFFSET + int(label[16:], 16) / 1e9


_FIRST = -OFFSET  # the unix times the 16 hex digits of a label can hold
_LAST = 2**64 - 1 - OFFSET


def encode(unix: float) -> bytes:
    """The 24-hex label (no ``@``) for a unix time; the inverse of :func:`to_unix`.

    A time beyond what a label holds (even infinity) gets the first or last label, so a seek
    to it finds the start or the end of the log; NaN is no time at all.
    """
    if unix != unix:
        raise InvalidValue("NaN is not a time")
    if unix >= _LAST + 1:
        return b"%016x%08x" % (_LAST + OFFSET, 999_999_999)
    if unix < _FIRST:
        return b"%016x%08x" % (0, 0)
    seconds = int(unix // 1)
    nanos = min(round((unix - seconds) * 1e9), 999_999_999)
    return b"%016x%08x" % (seconds + OFFSET, nanos)


def stamp(unix: float) -> str:
    """The full ``@…`` stamp multilog would write at ``unix``."""
    return "@" + encode(unix).decode("ascii")


def format_local(unix: float, *, nanos: int | None = None) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in the local zone (TZ), or with ``.nnnnnnnnn`` like tai64nlocal."""
    text = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(int(unix // 1)))
    return text if nanos is None else f"{text}.{nanos:09d}"


def tai64nlocal(line: str) -> str:
    """Rewrite a leading stamp the way ``tai64nlocal`` does; other lines pass through untouched."""
    if len(line) > STAMP_LEN and line[0] == "@":
        raw = line[1:STAMP_LEN].encode("ascii", "replace")
        if is_label(raw):
            seconds, nanos = decode(raw)
            return format_local(seconds, nanos=nanos) + line[STAMP_LEN:]
    return line
