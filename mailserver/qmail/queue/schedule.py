"""When qmail-send tries a queued message again, and when it gives up on it.

qmail-send (qmail-send.c ``nextretry``) schedules the next attempt of a channel after each
attempt made at ``recent``: ``birth + (floor(sqrt(recent - birth)) + c)**2`` with c = 10 for
local and 20 for remote deliveries (``chanskip``), birth being the info file's mtime. It keeps
that schedule in memory and writes it onto the local/remote file as its mtime when it exits
(``pqfinish``), and reads it back from there when it starts (``pqstart``). So a channel file
whose mtime is in the future carries the exact time of the next attempt; one whose mtime has
passed was tried since qmail-send last started, and the next attempt is found by following the
formula from that time on, as if each attempt came on time (:func:`next_retry` says it is an
estimate then).

A message older than queuelifetime (control/queuelifetime, default 604800 s) gets one last
attempt: a temporary failure then counts as permanent and the message bounces.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import isqrt
from pathlib import Path
from typing import Final

CHANSKIP: Final = {"local": 10, "remote": 20}


def nextretry(birth: float, channel: str, recent: float) -> float:
    """qmail-send's ``nextretry(birth, c)`` for an attempt made at ``recent`` (whole seconds)."""
    birth_s, recent_s = int(birth), int(recent)
    n = 0 if birth_s > recent_s else isqrt(recent_s - birth_s)
    return float(birth_s + (n + CHANSKIP[channel]) ** 2)


@dataclass(frozen=True, slots=True)
class Retry:
    at: float
    exact: bool  # read from the file qmail-send wrote; False: worked out from the formula


def next_retry(birth: float, channel: str, due: float, now: float) -> Retry:
    """The next attempt of ``channel``, whose file's mtime is ``due``, seen at ``now``."""
    if due > now:
        return Retry(float(int(due)), exact=True)
    attempt = max(due, birth)
    at = nextretry(birth, channel, attempt)
    for _ in range(10_000):  # the gaps grow with the square: a few hundred steps cover a year
        if at > now:
            break
        at = nextretry(birth, channel, at)
    return Retry(at, exact=False)


def expires(birth: float, lifetime: int) -> float:
    """When the message has been queued for queuelifetime: its next attempt is its last."""
    return float(int(birth) + lifetime)


def queuelifetime(qmail_root: Path) -> int:
    """control/queuelifetime as qmail-send reads it (its default when absent or unreadable)."""
    from ..logs.config import queuelifetime as read

    return read(qmail_root)
