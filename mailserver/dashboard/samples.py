"""Queue samples in the panel's database: take one, keep a day of them, read them back.

A sample is taken by ``manage.py sample_queue`` (a systemd timer every 5 minutes, or its own
loop) and by the dashboard itself whenever the newest is older than the interval, so the trend
exists even where no timer runs. The counts come from the agent (``QUEUE_STATS``): the panel
never reads the queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from mailserver.core import agent
from mailserver.protocol import Op
from mailserver.qmail.environment import env_float

from .models import QueueSample
from .trend import WINDOW, Growth, Point, growing_fast

KEEP = timedelta(days=1)
INTERVAL_ENV = "NODEWORX_QUEUE_SAMPLE_SECONDS"
DEFAULT_INTERVAL = 300.0


def interval() -> timedelta:
    """How often the queue is sampled (NODEWORX_QUEUE_SAMPLE_SECONDS, 5 minutes by default)."""
    return timedelta(seconds=env_float(INTERVAL_ENV, DEFAULT_INTERVAL))


def point_of(stats: Mapping[str, Any]) -> Point:
    """The counts of a ``QUEUE_STATS`` answer, at the moment the agent counted them."""
    counts = stats["counts"]
    at = datetime.fromtimestamp(stats["at"], tz=UTC) if "at" in stats else timezone.now()
    return Point(at, counts["local"], counts["remote"], counts["todo"], counts["messages"])


def record(node: str, stats: Mapping[str, Any]) -> QueueSample:
    """Store the counts of ``stats`` as a sample of ``node``, and forget samples older than a day."""
    point = point_of(stats)
    sample = QueueSample.objects.create(
        node=node,
        at=point.at,
        local=point.local,
        remote=point.remote,
        todo=point.todo,
        messages=point.messages,
    )
    prune(point.at)
    return sample


def prune(now: datetime) -> int:
    """Delete every node's samples older than a day before ``now``; returns how many went."""
    deleted, _ = QueueSample.objects.filter(at__lt=now - KEEP).delete()
    return deleted


def due(node: str, now: datetime) -> bool:
    """Whether ``node``'s newest sample is older than the interval (or there is none)."""
    return not QueueSample.objects.filter(node=node, at__gt=now - interval()).exists()


def record_if_due(node: str, stats: Mapping[str, Any]) -> QueueSample | None:
    """What the dashboard does with the counts it shows: keep them when a sample is due."""
    return record(node, stats) if due(node, point_of(stats).at) else None


def take(node: str, *, timeout: float | None = None) -> QueueSample:
    """Ask ``node``'s agent for the counts and store them; raises the agent's error."""
    return record(node, agent.call(Op.QUEUE_STATS, node=node, timeout=timeout))


def points(node: str, since: datetime) -> list[Point]:
    """``node``'s samples from ``since`` on, oldest first."""
    rows = QueueSample.objects.filter(node=node, at__gte=since).order_by("at")
    return [
        Point(row.at, row.local, row.remote, row.todo, row.messages)
        for row in rows.only("at", "local", "remote", "todo", "messages")
    ]


def growth(node: str, now: datetime) -> list[Growth]:
    """The parts of ``node``'s queue that grew fast over the hour before its newest stored sample
    (when it is recent: one taken hours ago says nothing about now)."""
    stored = points(node, now - WINDOW - 2 * interval())
    if not stored or stored[-1].at < now - 2 * interval():
        return []
    return growing_fast(stored)
