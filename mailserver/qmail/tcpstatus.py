"""Connections in use, where the server reports them: tcpserver -v's status lines.

tcpserver -v logs ``tcpserver: status: N/MAX`` when it starts and whenever a connection
opens or closes, so the last such line in the service's log, written since the service
last started, is how many connections are open now (out of ``-c MAX``). couriertcpd logs
no such line; for Courier the open connections are counted from couriertcpd's children
instead, one child per connection (:func:`children`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psutil

from .logtail import last_lines

_STATUS = re.compile(r"tcpserver: status: ([0-9]+)/([0-9]+)")
LINES = 200  # a busy server logs several lines per connection


@dataclass(frozen=True)
class InUse:
    connections: int
    limit: int | None  # the limit the server itself reports; None when counted from processes
    at: float | None  # when the server said so (unix time)
    source: str  # "tcpserver status line" or "couriertcpd's child processes"


def from_log(directory: Path, since: float | None) -> InUse | None:
    """The last status line in ``directory/current`` logged at or after ``since`` (the start)."""
    for line in reversed(last_lines(directory, LINES)):
        found = _STATUS.search(line.text)
        if not found:
            continue
        if since is not None and line.at is not None and line.at + 1 < since:
            return None  # from before the last start: this run has not said anything yet
        return InUse(int(found[1]), int(found[2]), line.at, "tcpserver status line")
    return None


def children(pid: int | None, at: float | None = None) -> InUse | None:
    """The connections couriertcpd (supervised as ``pid``) is serving: its child processes."""
    if pid is None:
        return None
    try:
        process = psutil.Process(pid)
        if process.name() != "couriertcpd":
            return None  # the run script has not exec'd it yet, or runs something else
        return InUse(len(process.children()), None, at, "couriertcpd's child processes")
    except psutil.Error:
        return None
