"""Plain-text output of the operators: aligned for people, or tab-separated with --tsv for scripts."""

from __future__ import annotations

from collections.abc import Iterable

from .records import readable, sender_text
from .reports import ShowRow, Table
from .tai64n import format_local

SHOW_COLUMNS = ["time", "result", "channel", "recipient", "msg", "text"]
SHOW_DETAIL_COLUMNS = ["time", "result", "channel", "recipient", "sender", "bytes", "msg", "text"]


def show_header(detail: bool, tsv: bool) -> str:
    columns = SHOW_DETAIL_COLUMNS if detail else SHOW_COLUMNS
    if tsv:
        return "\t".join(columns)
    return _show_line([c.upper() for c in columns], detail)


_SECONDS: dict[int, str] = {}  # rows come in bursts within the same second: format each once


def show_line(row: ShowRow, *, detail: bool, tsv: bool, raw: bool = False) -> str:
    second = int(row.when)
    when = _SECONDS.get(second)
    if when is None:
        if len(_SECONDS) > 4096:
            _SECONDS.clear()
        when = _SECONDS[second] = format_local(second)
    text = row.text if raw else readable(row.text)
    msg = "?" if row.msg is None else str(row.msg)
    fields = [when, row.result, row.channel, row.recipient]
    if detail:
        sender = "?" if row.sender is None else sender_text(row.sender)
        fields += [sender, str(row.size)]
    fields += [msg, text]
    return "\t".join(fields) if tsv else _show_line(fields, detail)


def _show_line(fields: list[str], detail: bool) -> str:
    # Fixed widths: show-* streams and cannot measure its rows first; long values just push on.
    widths = [19, 8, 7, 30] + ([30, 7] if detail else []) + [9]
    cells = [
        value.rjust(width) if detail and i == 5 else value.ljust(width)  # bytes right-aligned
        for i, (value, width) in enumerate(zip(fields[:-1], widths, strict=True))
    ]
    return " ".join(cells) + " " + fields[-1]


def table_lines(table: Table, *, tsv: bool, limit: int | None = None) -> Iterable[str]:
    rows = table.rows if not limit else table.rows[:limit]
    if tsv:
        yield "\t".join(table.columns)
        for row in rows:
            yield "\t".join(str(value) for value in row)
        return
    text_rows = [[str(value) for value in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in text_rows]) for i, c in enumerate(table.columns)]
    numeric = [bool(rows) and all(isinstance(row[i], int) for row in rows) for i in range(len(table.columns))]
    last = len(table.columns) - 1

    def line(values: list[str]) -> str:
        cells = [
            v.rjust(w) if numeric[i] else (v if i == last else v.ljust(w))
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    yield line([c.upper() for c in table.columns])
    for cells in text_rows:
        yield line(cells)
