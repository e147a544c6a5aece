"""How the agent's answers are shown: times in the panel's zone, table cells, the chart's data.

The agent sends times as epoch seconds; they are turned into dates here, in the panel's time
zone (NODEWORX_TIME_ZONE), the same way on every page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

_UNITS = ((604800, "week"), (86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))


def local(epoch: float) -> datetime:
    return timezone.localtime(datetime.fromtimestamp(epoch, tz=UTC))


def when(epoch: float | None, precise: bool = False) -> str:
    """``2026-11-25 13:34:24``; with ``precise``, milliseconds too (a delivery takes a few)."""
    if epoch is None:
        return ""
    moment = local(epoch)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}.{moment.microsecond // 1000:03d}" if precise else text


def duration(seconds: int) -> str:
    for size, unit in _UNITS:
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def table_rows(columns: list[str], rows: list[list[Any]]) -> list[dict[str, Any]]:
    """Cells to render; show-* rows also carry the message number and time their timeline needs."""
    out = []
    for row in rows:
        named = dict(zip(columns, row, strict=True))
        cells = [
            {"column": column, "value": when(value) if column == "time" else value}
            for column, value in named.items()
        ]
        at = named.get("time")
        out.append(
            {
                "cells": cells,
                "msg": named.get("msg"),
                # repr keeps every digit: the agent picks the message in the queue at this moment.
                "at": repr(at) if isinstance(at, float) else None,
                "result": named.get("result"),
            }
        )
    return out


def chart_data(series: dict[str, Any]) -> dict[str, Any]:
    """Labels in the panel's zone (the date only when buckets are whole days), counts per result."""
    bucket = int(series["bucket"])
    if bucket >= 86400:
        pattern = "%Y-%m-%d"
    elif bucket >= 3600:
        pattern = "%m-%d %H:%M"
    else:
        pattern = "%H:%M" if bucket >= 60 else "%H:%M:%S"
    return {
        "labels": [local(t).strftime(pattern) for t in series["times"]],
        "success": series["success"],
        "deferral": series["deferral"],
        "failure": series["failure"],
        "bucket": duration(bucket),
    }
