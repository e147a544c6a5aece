"""Feeding log bytes to the row joiner, and writing its rows to text files for the loader.

Blocks are cut at line ends as LogDir.chunks cuts them (a file that ends without a newline gets
one). Two things the joiner must not see raw: the field separator \\x1f inside a line (it
becomes ``?``; qmail-send escapes what it logs, so only a forged line has one) and bytes above
127, which are Latin-1 for the streaming tools and must reach DuckDB as UTF-8.
"""

from __future__ import annotations

import os
from pathlib import Path

from .rows import RowJoiner

BLOCK = 1 << 20
FLUSH_ROWS = 200_000


def feed_chunk(joiner: RowJoiner, chunk: bytes) -> None:
    """A block of whole lines (ending in a newline) of the joiner's current file."""
    if b"\x1f" in chunk:
        chunk = chunk.replace(b"\x1f", b"?")
    lines = chunk.split(b"\n")
    lines.pop()
    if not chunk.isascii():
        lines = [line if line.isascii() else line.decode("latin-1").encode("utf-8") for line in lines]
    joiner.feed(lines)


class Sink:
    """Row files of one writer: ``{table}-{tag}-{n}.tsv`` in ``directory``."""

    def __init__(self, directory: Path, tag: str) -> None:
        self.dir, self.tag = directory, tag
        self.files: dict[str, list[Path]] = {}
        self.count = 0

    def flush(self, joiner: RowJoiner, force: bool = False) -> None:
        if not force and len(joiner.attempts) + len(joiner.messages) < FLUSH_ROWS:
            return
        for table, rows in zip(("attempts", "messages", "bounces", "ends"), joiner.take(), strict=True):
            self.add(table, rows)

    def add(self, table: str, rows: list[bytes]) -> None:
        if not rows:
            return
        self.count += 1
        path = self.dir / f"{table}-{self.tag}-{self.count}.tsv"
        with open(path, "wb") as handle:
            handle.write(b"\n".join(rows))
            handle.write(b"\n")
        self.files.setdefault(table, []).append(path)


def read_range(
    joiner: RowJoiner, fd: int, start: int, end: int, sink: Sink | None = None, *, final: bool = True
) -> int:
    """Feed bytes [start, end) of an open file (``start`` at a line start); returns where it stopped.

    A last line without its newline is fed (with one) when ``final`` (a finished file, as
    LogDir.chunks does), and left for the next read of a file still being written otherwise.
    """
    pos, carry = start, b""
    while pos < end:
        data = os.pread(fd, min(BLOCK, end - pos), pos)
        if not data:
            break
        pos += len(data)
        block = carry + data if carry else data
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            carry = block
            continue
        feed_chunk(joiner, block[:cut])
        carry = block[cut:]
        if sink is not None:
            sink.flush(joiner)
    if carry and final:
        feed_chunk(joiner, carry + b"\n")
        carry = b""
    return pos - len(carry)
