"""What the dashboard shows, from the agent's answers and the stored samples: plain values for
the templates (no agent call, no database write here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from mailserver.services import registry
from mailserver.services.states import tone

from .trend import Growth, Point

LOW_SHARE = 10  # percent free under which space or inodes are shown as running out


@dataclass(frozen=True)
class ServiceRow:
    name: str
    title: str
    state: str
    tone: str
    uptime: str  # how long it has been up or down: "3 days 2 h", "5 min", or ""
    page_url: str
    why: str = ""  # what a grey or failing state means, in words (the badge alone said "missing")


# The words of the service card (components/service_card.html), short enough for a table cell.
WHY = {
    "failing": "exits as soon as it starts",
    "not installed": "its program is not installed",
    "not supervised": "svscan is not running it",
    "missing": "not set up: no service directory",
    "unknown": "the agent did not answer",
}


def duration(seconds: int) -> str:
    """A span as an admin reads it: the two largest units."""
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if days:
        return f"{days} day{'s' if days > 1 else ''} {hours % 24} h"
    if hours:
        return f"{hours} h {minutes % 60} min"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"


def service_rows(statuses: Mapping[str, Mapping[str, Any]], page_url: Mapping[str, str]) -> list[ServiceRow]:
    """One row per registered service, in the registry's order; a service the agent did not
    report reads "unknown"."""
    rows = []
    for service in registry.SERVICES:
        status = statuses.get(service.name) or {}
        state = str(status.get("state", "unknown"))
        seconds = status.get("seconds")
        uptime = ""
        if state in ("up", "down") and isinstance(seconds, int) and seconds > 0:
            uptime = duration(seconds)
        why = WHY.get(state, "")
        if state == "down" and status.get("normally_up") is False:
            why = "not started at boot either"  # stopped for good, most likely on purpose
        rows.append(
            ServiceRow(
                service.name, service.title, state, tone(state), uptime, page_url[service.page.value], why
            )
        )
    return rows


def percent(part: float, whole: float) -> int:
    return round(100 * part / whole) if whole else 0


def system_figures(system: Mapping[str, Any]) -> dict[str, Any]:
    """The mail host's load, memory and the room left where the queue lives."""
    fs = system.get("queue_fs") or {}
    memory = system.get("memory") or {}
    free_space = percent(fs.get("free_bytes", 0), fs.get("total_bytes", 0))
    free_inodes = percent(fs.get("free_inodes", 0), fs.get("total_inodes", 0))
    return {
        "load": [f"{value:.2f}" for value in system.get("load", [])],
        "cpus": system.get("cpus"),
        "memory_used": round(memory.get("percent", 0)),
        "memory_available": memory.get("available", 0),
        "memory_total": memory.get("total", 0),
        "free_bytes": fs.get("free_bytes", 0),
        "total_bytes": fs.get("total_bytes", 0),
        "free_space": free_space,
        "space_low": bool(fs.get("total_bytes")) and free_space < LOW_SHARE,
        "free_inodes": f"{fs.get('free_inodes', 0):,}",
        "total_inodes": f"{fs.get('total_inodes', 0):,}",
        "free_inodes_share": free_inodes,
        # Some file systems (btrfs) have no inode table: 0 of 0 is not "running out".
        "inodes_counted": bool(fs.get("total_inodes")),
        "inodes_low": bool(fs.get("total_inodes")) and free_inodes < LOW_SHARE,
    }


def growth_notes(found: Sequence[Growth]) -> list[str]:
    notes = []
    for growth in found:
        since = timezone.localtime(growth.since).strftime("%H:%M %Z")  # the zone, as "counted at" says it
        share = f" (+{growth.percent} %)" if growth.percent is not None else ""
        notes.append(
            f"The {growth.queue} queue is growing fast: {growth.before} → {growth.now} messages "
            f"since {since}{share}."
        )
    return notes


def chart(points: Sequence[Point], start: datetime, end: datetime, interval: timedelta) -> dict[str, Any]:
    """The trend as Chart.js reads it, on a time axis from ``start`` to ``end``: each point at its
    own time (epoch milliseconds, ``x``), a series per queue, and the panel's time zone for the
    axis labels. ``gap``: a stretch without samples longer than three intervals (the panel or the
    agent was down, or no timer samples and nobody looked), which the chart draws dashed, so that
    hours without samples are neither squeezed into one step nor read as a steady queue."""
    return {
        "x": [_ms(p.at) for p in points],
        "local": [p.local for p in points],
        "remote": [p.remote for p in points],
        "todo": [p.todo for p in points],
        "start": _ms(start),
        "end": _ms(end),
        "gap": _ms_span(3 * interval),
        "time_zone": timezone.get_current_timezone_name(),
    }


def _ms(at: datetime) -> int:
    return round(at.timestamp() * 1000)


def _ms_span(span: timedelta) -> int:
    return round(span.total_seconds() * 1000)
