"""Select a period of the send log: seek to its start and end, add the context lines, stream.

This is what ``qmail-last-x`` and ``qmail-start-end`` print and what the web page reads. Output
is raw multilog lines (so ``| tai64nlocal`` and grep work on it): first the context lines from
before the period, in log order (see context.py), then every line of the period, copied as
bytes without being parsed. Only when the period starts after the oldest log line is the
period scanned once, cheaply, for what it refers to.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import config
from .context import Needs, delivery_starts, info_lines, window_needs
from .files import LogDir, Position
from .index import IndexCache
from .tai64n import encode, format_local, to_unix

DELIVERY_HORIZON = 86400.0  # no single delivery attempt runs for a day


@dataclass
class Selection:
    log: LogDir
    begin: Position
    stop: Position
    context: list[tuple[Position, bytes]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def chunks(self) -> Iterator[bytes]:
        """The selection as blocks of raw lines, each block ending with a newline."""
        if self.context:
            yield b"".join(line + b"\n" for _, line in sorted(self.context))
        yield from self.log.chunks(self.begin, self.stop)

    def write_to(self, fd: int) -> None:
        """Write the selection to a descriptor; the period itself goes by sendfile(2) where it can."""
        if self.context:
            data = memoryview(b"".join(line + b"\n" for _, line in sorted(self.context)))
            while data:
                data = data[os.write(fd, data) :]
        try:
            self.log.send(self.begin, self.stop, fd)
        except OSError as error:
            if error.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                raise
            for chunk in self.log.chunks(self.begin, self.stop):  # e.g. stdout is a terminal
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]

    def lines(self) -> Iterator[bytes]:
        for chunk in self.chunks():
            yield from chunk.splitlines()


def earliest_warning(log: LogDir, start: float | None) -> str | None:
    """The guide's warning when the period reaches back before the oldest line we have."""
    first = log.first_label()
    if first is None:
        return f"Warning: there are no logs in {log.path}."
    if start is not None and encode(start) < first:
        return f"Warning: We only have logs dating back to {format_local(to_unix(first))}."
    return None


def select(
    log_dir: Path | str | LogDir,
    start: float | None = None,
    end: float | None = None,
    *,
    lookback: float | None = None,
    cache: IndexCache | None = None,
) -> Selection:
    """Lines stamped in ``[start, end)`` (None = open end) plus what they need from before ``start``.

    ``lookback`` bounds the search for headers of messages queued before ``start``; it defaults to
    qmail's queuelifetime plus a day, the longest a message can have been waiting.
    """
    log = log_dir if isinstance(log_dir, LogDir) else LogDir(log_dir)
    begin = log.seek(encode(start)) if start is not None else log.start
    stop = log.seek(encode(end)) if end is not None else log.end
    stop = max(stop, begin)
    selection = Selection(log, begin, stop)
    selection.warnings += [f"Left out: {problem}" for problem in log.skipped]
    warning = earliest_warning(log, start)
    if warning:
        selection.warnings.append(warning)
    if start is None or begin == log.start or begin >= stop:
        return selection  # nothing precedes the period (or it is empty): no context needed
    needs: Needs = window_needs(log.chunks(begin, stop))
    if lookback is None:
        lookback = config.queuelifetime(config.qmail_root()) + 86400.0
    selection.context += delivery_starts(log, begin, needs, encode(max(0.0, start - DELIVERY_HORIZON)))
    if needs.messages:
        cache = cache or IndexCache(log.path)
        oldest = encode(max(0.0, start - lookback))
        selection.context += info_lines(log, begin, needs.messages, oldest, cache)
    return selection
