"""How the agent's answers are shown: times in the panel's zone, table cells, the chart's data.

The agent sends times as epoch seconds; they are turned into dates here, in the panel's time
zone (NODEWORX_TIME_ZONE), the same way on every page. Counts are whole numbers: grouped by
thousands and right-aligned in the table.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

_UNITS = ((604800, "week"), (86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))
TIME_COLUMNS = frozenset(("time", "first_seen", "last_seen"))
TEXT_COLUMNS = frozenset(("text", "last_reason", "example"))
ALL = ("success", "deferral", "failure")
# The results a report is about, the only ones its chart plots (the others: every result).
CHARTED = {
    "show-success": ["success"],
    "show-deferrals": ["deferral"],
    "show-failures": ["failure"],
    "top-deferrals": ["deferral"],
    "top-failures": ["failure"],
    "deferrals-by-cause": ["deferral", "failure"],
}
TITLES = {
    ("success",): "Successes",
    ("deferral",): "Deferrals",
    ("failure",): "Failures",
    ("deferral", "failure"): "Deferrals and failures",
}
# A chart whose data fills fewer buckets than this is drawn again over the data's own range.
NARROW = 12
# The newest log line is "old" when this long before the period's end (and a quarter of it).
STALE_AFTER = 900.0


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


def age(seconds: float) -> str:
    """A rough length of time for people: "3 s", "12 minutes", "5 days"."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(seconds)} s"
    for size, unit in _UNITS[:-1]:
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{int(seconds)} s"  # pragma: no cover (seconds >= 60 always meets a unit)


def number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def numeric_columns(columns: list[str], rows: list[list[Any]]) -> set[str]:
    """The columns that hold counts (every value a whole number); msg is a name, not a count."""
    return {
        column
        for i, column in enumerate(columns)
        if column not in TIME_COLUMNS and column != "msg" and rows and all(_is_number(r[i]) for r in rows)
    }


def _display(column: str, value: Any, numeric: bool) -> str:
    if column in TIME_COLUMNS and isinstance(value, int | float) and not isinstance(value, bool):
        return when(value)
    return number(value) if numeric else ("" if value is None else str(value))


def table_rows(columns: list[str], rows: list[list[Any]]) -> list[dict[str, Any]]:
    """Cells to render; show-* rows also carry the message number and time their timeline needs."""
    numeric = numeric_columns(columns, rows)
    out = []
    for row in rows:
        named = dict(zip(columns, row, strict=True))
        cells = [
            {
                "column": column,
                "value": _display(column, value, column in numeric),
                "numeric": column in numeric,
            }
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


def headers(
    columns: list[str], rows: list[list[Any]], sort: str | None, reverse: bool, sortable: bool
) -> list[dict[str, Any]]:
    """The table's column headers: label, alignment, and (top-* / causes) the sort each one asks for.

    A click on the column the table is sorted by turns the order round; on another column it sorts
    by that one in its natural order (numbers high first, text A-Z, as the command line).
    """
    numeric = numeric_columns(columns, rows)
    out = []
    for column in columns:
        current = sortable and column == sort
        out.append(
            {
                "name": column,
                "label": column.replace("_", " "),
                "numeric": column in numeric,
                "sortable": sortable,
                "current": current,
                "reverse": current and reverse,
                "next_reverse": current and not reverse,
            }
        )
    return out


def chart_data(series: dict[str, Any], report: str) -> dict[str, Any]:
    """Labels in the panel's zone (the date only when buckets are whole days), counts per result.

    A report about some results plots only those (show-failures, top-failures: failures): the
    chart counts every result of the selection, but the admin asked about these.
    """
    bucket = int(series["bucket"])
    if bucket >= 86400:
        pattern = "%Y-%m-%d"
    elif bucket >= 3600:
        pattern = "%m-%d %H:%M"
    else:
        pattern = "%H:%M" if bucket >= 60 else "%H:%M:%S"
    results = charted(report)
    return {
        "labels": [local(t).strftime(pattern) for t in series["times"]],
        "success": series["success"],
        "deferral": series["deferral"],
        "failure": series["failure"],
        "results": results,
        "empty": not any(any(series[result]) for result in results),
        "title": TITLES.get(tuple(results), "Deliveries"),
        "bucket": duration(bucket),
    }


def charted(report: str) -> list[str]:
    """The results the report's chart plots."""
    return CHARTED.get(report, list(ALL))


def _filled(series: dict[str, Any], newest: float | None, results: list[str]) -> tuple[int, int] | None:
    """The first and last bucket with data: a charted result, or the newest log line (after it,
    no log)."""
    counts = [sum(v) for v in zip(*(series[result] for result in results), strict=True)]
    filled = [i for i, count in enumerate(counts) if count]
    if not filled:
        return None
    last = filled[-1]
    if newest is not None and series["times"]:
        last = max(last, min(len(counts) - 1, int((newest - series["times"][0]) // series["bucket"])))
    return filled[0], last


def data_range(
    series: dict[str, Any], newest: float | None = None, results: list[str] | None = None
) -> tuple[float, float] | None:
    """The stretch of the chart that has data, when it is only a few of its buckets.

    A week whose deliveries sit in one hour would otherwise be one bar: the page then asks for the
    chart again over this stretch, which gets buckets of its own size.
    """
    found = _filled(series, newest, results or list(ALL))
    bucket = float(series["bucket"])
    if found is None or bucket <= 10:
        return None
    first, last = found
    if last - first + 1 >= NARROW:
        return None
    times = series["times"]
    return float(times[first]), float(times[last]) + bucket


def trimmed(
    series: dict[str, Any], newest: float | None = None, results: list[str] | None = None
) -> dict[str, Any]:
    """The chart without the empty buckets before its first charted result and after the log's
    last line."""
    found = _filled(series, newest, results or list(ALL))
    if found is None:
        return series
    cut = slice(found[0], found[1] + 1)
    return {
        **series,
        "times": series["times"][cut],
        **{result: series[result][cut] for result in ALL},
    }


def newest(result: dict[str, Any], now: float | None = None) -> dict[str, Any] | None:
    """The newest log line's time and age, and whether it is old next to the period's end.

    qmail-send writes a line for every delivery: a log whose last line is long before the period
    ends is a quiet server or a stalled log (multilog stopped, disk full), and looks the same.
    """
    stamp = result.get("newest")
    if stamp is None:
        return None
    now = time.time() if now is None else now
    end = min(float(result["end"]), now)
    gap = end - stamp
    limit = max(STALE_AFTER, (float(result["end"]) - float(result["start"])) / 4)
    return {"at": when(stamp), "ago": age(now - stamp), "stale": gap > limit, "gap": age(gap)}


def index_status(data: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """The delivery index's status box: its answer plus readable sizes, times and lag."""
    now = time.time() if now is None else now
    log_bytes, size = data.get("log_bytes") or 0, data.get("bytes") or 0
    lag = data.get("lag")
    return {
        **data,
        "percent_of_log": round(100.0 * size / log_bytes, 1) if log_bytes else None,
        "newest_at": when(data.get("newest")),
        "log_newest_at": when(data.get("log_newest")),
        "log_newest_ago": age(now - data["log_newest"]) if data.get("log_newest") else "",
        "lag_text": age(lag) if lag is not None else "",
        "built_at": when(data.get("built")),
        "first_at": when(data.get("first")),
    }
