"""The lines a selection needs from before its start so downstream tools see whole messages.

A window of the log begins in the middle of things: deliveries already under way (their result
is in the window, their ``starting delivery`` line with the recipient is not) and messages that
arrived earlier (deferred ones retried, perhaps days later; their sender and size are in an
``info msg`` line before the window). The selectors put those lines in front of the window,
raw and in log order. They add ``info msg`` but never ``new msg``: that is how the operators
tell a message that arrived in the selected period from one that was only retried in it.

Finding deliveries under way is cheap: walking back from the window start, nothing started
before the last ``status: … local 0/… remote 0/…`` or ``status: exiting`` can still be running.
Finding headers uses the per-file info index (index.py) and a scan of ``current`` only.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

from .files import LogDir, Position
from .index import INFO_LINE, IndexCache

# One pass over the window: which messages and deliveries are referenced before they begin.
# Anchored on "\n@" + stamp so the regex engine skips through line bodies quickly.
_WINDOW = re.compile(
    rb"\n@.{24} (?:(new|info|bounce|end) msg (\d+)|starting delivery (\d+): msg (\d+)"
    rb"|delivery (\d+): |triple bounce: discarding bounce/(\d+)|status: (e)xiting)"
)
# Walking back for deliveries: their starts, and the points where nothing was in flight.
_BACK = re.compile(
    rb"\n@([0-9a-f]{24}) (?:starting delivery (\d+): msg (\d+)|status: (?:exiting|local 0/\d+ remote 0/))"
)


@dataclass
class Needs:
    """What the window refers to but does not contain."""

    messages: set[int] = field(default_factory=set)  # ids used before any `new msg` in the window
    deliveries: set[int] = field(default_factory=set)  # results whose start precedes the window


def window_needs(chunks: Iterable[bytes]) -> Needs:
    """One pass over the window (chunks start at line starts); ids stay bytes until the end."""
    seen: set[bytes] = set()
    wanted: set[bytes] = set()
    started: set[bytes] = set()
    results: set[bytes] = set()
    exited = False  # after a restart every result pairs with a start inside the window
    for chunk in chunks:
        for kind, msg, number, smsg, result, triple, exiting in _WINDOW.findall(b"\n" + chunk):
            msg = msg or smsg or triple
            if msg and msg not in seen:
                seen.add(msg)
                if kind != b"new" and kind != b"info":
                    wanted.add(msg)
            if exited:
                continue
            if number:
                started.add(number)
            elif result and result not in started:
                results.add(result)
            elif exiting:
                exited = True
    return Needs({int(m) for m in wanted}, {int(n) for n in results})


def delivery_starts(
    log: LogDir, before: Position, needs: Needs, oldest: bytes
) -> list[tuple[Position, bytes]]:
    """``starting delivery`` lines, just before ``before``, of the results the window needs."""
    found: list[tuple[Position, bytes]] = []
    wanted = set(needs.deliveries)
    if not wanted:
        return found
    for where, block in log.chunks_backward(before, block=1 << 18):
        data = b"\n" + block  # so the pattern finds the first line of the block too
        for m in reversed(list(_BACK.finditer(data))):
            if m.group(2) is None or m.group(1) < oldest:  # nothing in flight here any more
                return found
            number = int(m.group(2))
            if number in wanted:
                wanted.discard(number)
                end = data.find(b"\n", m.start() + 1)
                found.append((Position(where.file, where.offset + m.start()), data[m.start() + 1 : end]))
                needs.messages.add(int(m.group(3)))
                if not wanted:
                    return found
    return found


def info_lines(
    log: LogDir, before: Position, wanted: set[int], oldest: bytes, cache: IndexCache
) -> list[tuple[Position, bytes]]:
    """The last ``info msg`` line before ``before`` for each wanted id, no older than ``oldest``."""
    wanted = set(wanted)
    hits: dict[int, Position] = {}
    rotated = sum(1 for f in log.files if f.finished)
    if before.file >= rotated:  # the window starts in `current`: scan its head, then one lookup
        if rotated < len(log.files):
            limit = before.offset if before.file == rotated else log.files[rotated].size
            hits.update(_scan(log, rotated, limit, wanted))
        newest = cache.newest(log, rotated)
        for msg_id in wanted - hits.keys():
            found = newest.lookup(msg_id)
            if found is not None and found[0] < rotated and not _older(log, found[0], oldest):
                hits[msg_id] = Position(*found)
    else:  # a window further back: probe the files one by one, newest first
        for index in range(before.file, -1, -1):
            if not wanted or _older(log, index, oldest):
                break
            limit = before.offset if index == before.file else log.files[index].size
            table = cache.get(log, index)
            ids = table.ids
            for msg_id in list(wanted):  # inlined InfoIndex.last_before: this loop runs often
                i = bisect_right(ids, msg_id)
                if i and ids[i - 1] == msg_id:
                    offset = table.last_before(msg_id, limit)
                    if offset is not None:
                        hits[msg_id] = Position(index, offset)
                        wanted.discard(msg_id)
    found_lines = []
    for msg_id, where in hits.items():
        line = log.read(where.file, where.offset, 4096)
        line = line[: line.find(b"\n")]
        if line[25:].startswith(b" info msg %d:" % msg_id):  # a damaged table must not inject lines
            found_lines.append((where, line))
    return found_lines


def _older(log: LogDir, index: int, oldest: bytes) -> bool:
    """True when all of file ``index`` predates ``oldest`` (the next file starts before it)."""
    nxt = log.firsts[index + 1] if index + 1 < len(log.files) else b""
    return bool(nxt) and nxt < oldest


def _scan(log: LogDir, index: int, limit: int, wanted: set[int]) -> dict[int, Position]:
    """The last ``info msg`` of each wanted id in the first ``limit`` bytes of a file."""
    hits: dict[int, Position] = {}
    for m in INFO_LINE.finditer(log.read(index, 0, limit)):
        msg_id = int(m.group(1))
        if msg_id in wanted:
            hits[msg_id] = Position(index, m.start() - 25)
    return hits
