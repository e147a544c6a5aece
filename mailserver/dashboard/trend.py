"""The queue's trend from its samples: which part of it is growing fast.

Pure: points in, findings out; :mod:`.samples` reads the points from the panel's database.
"Growing fast" is the sign admins watch for (a destination that stopped answering fills the remote
queue; a stuck qmail-send fills todo): over the last hour a part of the queue grew by more than
both a share of what it held and a number of messages, so that neither 3 → 9 messages nor
40,000 → 40,150 raises the alarm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

QUEUES = ("local", "remote", "todo")
WINDOW = timedelta(hours=1)
MIN_MESSAGES = 100  # more than this many messages more …
MIN_SHARE = 0.20  # … and more than this share of what the queue held


@dataclass(frozen=True)
class Point:
    at: datetime
    local: int
    remote: int
    todo: int
    messages: int

    def count(self, queue: str) -> int:
        return int(getattr(self, queue))


@dataclass(frozen=True)
class Growth:
    queue: str
    before: int
    now: int
    since: datetime

    @property
    def added(self) -> int:
        return self.now - self.before

    @property
    def percent(self) -> int | None:
        """How much it grew, in percent of what it held (None: it was empty)."""
        return round(100 * self.added / self.before) if self.before else None


def growing_fast(points: Sequence[Point], *, window: timedelta = WINDOW) -> list[Growth]:
    """The parts of the queue that grew fast from the first point of the last ``window`` to the
    newest point (``points`` oldest first). One point is no trend: nothing is said."""
    if len(points) < 2:
        return []
    newest = points[-1]
    within = [p for p in points[:-1] if p.at >= newest.at - window]
    if not within:
        return []
    first = within[0]
    found = []
    for queue in QUEUES:
        before, now = first.count(queue), newest.count(queue)
        if now - before > MIN_MESSAGES and now > before * (1 + MIN_SHARE):
            found.append(Growth(queue, before, now, first.at))
    return found
