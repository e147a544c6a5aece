"""qmail-send's log: select a period, join lines into messages, filter, report.

The command-line tools of the guide (cli.py) and the web page use the same calls::

    from mailserver.qmail import logs

    selection = logs.select("/var/log/qmail/send", start=now - 3600, end=now)
    for warning in selection.warnings: ...
    kept = logs.filters.apply(selection.chunks(), logs.filters.by_sender(["alice@example.com"]))
    table = logs.top_table("top-senders", logs.read_messages(kept), channel="remote").sort("failure")
    rows = list(logs.show(selection.chunks(), results=("failure",)))
    for message in logs.read_messages(selection.chunks()): message.timeline()

The pipe format between the tools is raw multilog lines: the selected period, preceded by the
``starting delivery`` and ``info msg`` lines it needs from before its start (see context.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

# The console scripts import this package on every run of every pipeline stage; loading only
# the modules a stage uses keeps their start-up inside the 0.2 s budget of a short selection.
_EXPORTS = {
    "filters": "",
    "Domains": "domains",
    "LogDir": "files",
    "Position": "files",
    "Attempt": "messages",
    "Joiner": "messages",
    "Message": "messages",
    "Kind": "records",
    "Record": "records",
    "parse": "records",
    "readable": "records",
    "RESULTS": "reports",
    "TOP_REPORTS": "reports",
    "ShowRow": "reports",
    "Stats": "reports",
    "Table": "reports",
    "show": "reports",
    "sides_for": "reports",
    "table": "reports",
    "Selection": "selection",
    "select": "selection",
    "TimeSpecError": "timespec",
    "hstamp": "timespec",
    "parse_duration": "timespec",
    "parse_point": "timespec",
}

if TYPE_CHECKING:
    from . import filters
    from .domains import Domains
    from .files import LogDir, Position
    from .messages import Attempt, Joiner, Message
    from .records import Kind, Record, parse, readable
    from .reports import RESULTS, TOP_REPORTS, ShowRow, Stats, Table, show, sides_for, table
    from .selection import Selection, select
    from .timespec import TimeSpecError, hstamp, parse_duration, parse_point


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f".{_EXPORTS[name] or name}", __name__)
    return module if not _EXPORTS[name] else getattr(module, name)


def read_messages(chunks: Iterable[bytes]) -> Iterator[Message]:
    """Join raw log blocks (e.g. ``Selection.chunks()``) into messages; see messages.messages."""
    from .messages import messages

    return messages(chunks)


def top_table(
    name: str,
    messages: Iterable[Message],
    *,
    channel: str | None = None,
    domains: Domains | None = None,
    by: str = "recipient",
) -> Table:
    """``top-senders`` etc. (without the -local/-remote suffix; pass ``channel`` instead)."""
    from .reports import Stats, sides_for, table

    return table(name, Stats(channel, domains, sides_for(name, by)).add_all(messages), by=by)


__all__ = [
    "RESULTS",
    "TOP_REPORTS",
    "Attempt",
    "Domains",
    "Joiner",
    "Kind",
    "LogDir",
    "Message",
    "Position",
    "Record",
    "Selection",
    "ShowRow",
    "Stats",
    "Table",
    "TimeSpecError",
    "filters",
    "hstamp",
    "parse",
    "parse_duration",
    "parse_point",
    "read_messages",
    "readable",
    "select",
    "show",
    "sides_for",
    "table",
    "top_table",
]
