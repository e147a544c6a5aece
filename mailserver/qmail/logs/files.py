"""A multilog directory: the rotated ``@<tai64n>.s`` files in name order, then ``current``.

multilog names a finished file after the moment it rotated it, so sorting the names sorts the
files by time, and inside a file the lines are in time order too. That makes the whole directory
one sorted sequence: the selectors find a moment by binary search on line stamps (a few dozen
small reads) instead of scanning gigabytes. ``@*.u`` files (left when multilog was killed) are
read too; ``state``, ``lock`` and friends are not logs.

Every file is opened, and its size taken, once when the directory is opened: multilog keeps
appending to ``current`` and may rename it or delete the oldest file at any moment; an open
descriptor still reads the same bytes, and a selection never chases a moving end or hands out
a half-written last line. ``current`` is opened *before* the rotated files are listed: if
multilog rotates it in between, the listing shows it under its new ``@….s`` name, and that file
(the same inode as the ``current`` we hold) is left out rather than read twice. Listing first
would lose the rotated file's lines: the listing misses it and ``current`` is already the new one.

The directory belongs to the log user (qmaill), who could put a fifo there (an open would hang
the report) or a link to a file only root may read (the root agent would report its lines). So
the directory is opened without following a link, each file is opened relative to it through
:func:`~mailserver.qmail.serverfile.open_regular`, and anything but a regular file is left out
and named in :attr:`LogDir.skipped`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ..errors import InvalidValue, UnreadableFile
from ..serverfile import open_regular
from .tai64n import STAMP_LEN, is_label

BLOCK = 1 << 20  # big reads: the hot paths are bytes operations over whole blocks
_PROBE = 4096


class Position(NamedTuple):
    """A line start: index into :attr:`LogDir.files` and byte offset (tuples sort in log order)."""

    file: int
    offset: int


@dataclass(frozen=True)
class LogFile:
    path: Path
    size: int  # bytes of complete lines when the directory was opened
    finished: bool  # a rotated @… file: never written again

    @property
    def name(self) -> str:
        return self.path.name


def _complete_size(fd: int, size: int) -> int:
    """``size`` cut back to the last newline, so a line multilog is still writing is left out."""
    tail = max(0, size - 65536)
    cut = os.pread(fd, size - tail, tail).rfind(b"\n")
    return tail + cut + 1 if cut >= 0 else 0


def rotated_names(path: Path) -> list[str]:
    """The ``@….s`` and ``@….u`` files of a multilog directory, oldest first."""
    return sorted(p.name for p in path.iterdir() if p.name[:1] == "@" and p.name[-2:] in (".s", ".u"))


def _open_directory(path: Path) -> int:
    if path.is_symlink():
        target = os.readlink(path)
        raise UnreadableFile(
            f"{path} is a symbolic link to {target}; give the log directory itself.",
            reason="link",
            target=target,
        )
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(f"{path}: no such log directory") from None


class LogDir:
    def __init__(self, path: Path | str) -> None:
        self._fds: list[int] = []
        self.path = Path(path)
        self.files: list[LogFile] = []
        self.skipped: list[str] = []  # what was left out and why: links, fifos, devices
        directory = _open_directory(self.path)
        try:
            self._open_files(directory)
        finally:
            os.close(directory)
        self.firsts = [self._label_at(i, 0) for i in range(len(self.files))]

    def _open(self, directory: int, name: str) -> tuple[int, os.stat_result] | None:
        try:
            return open_regular(name, dir_fd=directory, shown=self.path / name)
        except FileNotFoundError:  # none yet, or deleted by multilog since the listing
            return None
        except UnreadableFile as exc:
            self.skipped.append(str(exc))
            return None

    def _open_files(self, directory: int) -> None:
        current = self._open(directory, "current")
        try:
            names = rotated_names(self.path)
        except BaseException:
            if current is not None:
                os.close(current[0])
            raise
        held, current_size = None, 0
        if current is not None:
            stat = current[1]
            held = (stat.st_dev, stat.st_ino)
            current_size = _complete_size(current[0], stat.st_size)
        for name in names:
            opened = self._open(directory, name)
            if opened is None:
                continue
            fd, stat = opened
            if stat.st_size == 0 or (stat.st_dev, stat.st_ino) == held:  # held: rotated just now
                os.close(fd)
                continue
            self.files.append(LogFile(self.path / name, stat.st_size, True))
            self._fds.append(fd)
        if current is not None:
            if current_size:
                self.files.append(LogFile(self.path / "current", current_size, False))
                self._fds.append(current[0])
            else:
                os.close(current[0])

    # -- reading single lines -------------------------------------------------------------
    def read(self, index: int, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes of file ``index`` from ``offset`` (never past its size at opening)."""
        return os.pread(self._fds[index], max(0, min(length, self.files[index].size - offset)), offset)

    def fd(self, index: int) -> int:
        """The open descriptor of file ``index`` (it stays this file even if multilog renames it)."""
        return self._fds[index]

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds.clear()

    def __del__(self) -> None:
        self.close()

    def _label_at(self, index: int, offset: int) -> bytes:
        raw = self.read(index, offset, STAMP_LEN)
        return raw[1:STAMP_LEN] if raw[:1] == b"@" and is_label(raw[1:STAMP_LEN]) else b""

    def _next_line(self, index: int, offset: int) -> int:
        """The first line start at or after ``offset`` (the file's size when there is none)."""
        if offset == 0:
            return 0
        size = self.files[index].size
        pos = offset - 1
        while pos < size:
            data = self.read(index, pos, _PROBE)
            cut = data.find(b"\n")
            if cut >= 0:
                return pos + cut + 1
            pos += len(data)
        return size

    # -- the directory as one sorted sequence ---------------------------------------------
    @property
    def start(self) -> Position:
        return Position(0, 0)

    @property
    def end(self) -> Position:
        return Position(len(self.files), 0)

    def first_label(self) -> bytes | None:
        """Stamp of the oldest line we have (for the guide's "only have logs dating back to")."""
        return next((label for label in self.firsts if label), None)

    def last_label(self) -> bytes | None:
        for index in range(len(self.files) - 1, -1, -1):
            data = self.read(index, max(0, self.files[index].size - _PROBE), _PROBE)
            start = data.rfind(b"\n", 0, len(data) - 1) + 1
            if data[start : start + 1] == b"@" and is_label(data[start + 1 : start + STAMP_LEN]):
                return data[start + 1 : start + STAMP_LEN]
        return None

    def seek(self, label: bytes) -> Position:
        """The first line whose stamp is ``>= label`` (24 hex bytes), by binary search."""
        if not is_label(label):
            raise InvalidValue(f"{label!r} is not a TAI64N label (24 lower-case hex digits)")
        index = 0
        for i, first in enumerate(self.firsts):
            if first and first < label:
                index = i
        if not self.files or (self.firsts[0] and self.firsts[0] >= label):
            return Position(0, 0)
        # Smallest p whose following line start carries a stamp >= label; monotone in p.
        lo, hi = 0, self.files[index].size
        while lo < hi:
            mid = (lo + hi) // 2
            line = self._next_line(index, mid)
            if line >= self.files[index].size or self._label_at(index, line) >= label:
                hi = mid
            else:
                lo = mid + 1
        offset = self._next_line(index, lo)
        return Position(index + 1, 0) if offset >= self.files[index].size else Position(index, offset)

    def ranges(self, start: Position, stop: Position) -> Iterator[tuple[int, int, int]]:
        """(file index, first byte, end byte) of each file's share of ``[start, stop)``."""
        for index in range(start.file, min(stop.file + 1, len(self.files))):
            first = start.offset if index == start.file else 0
            last = stop.offset if index == stop.file else self.files[index].size
            if first < last:
                yield index, first, last

    def send(self, start: Position, stop: Position, out: int) -> None:
        """Copy ``[start, stop)`` to file descriptor ``out`` with sendfile(2): no copy through Python."""
        for index, first, last in self.ranges(start, stop):
            offset = first
            while offset < last:
                sent = os.sendfile(out, self._fds[index], offset, min(last - offset, 1 << 30))
                if sent == 0:  # cannot happen for bytes we measured; do not spin if it does
                    break
                offset += sent

    def chunks(self, start: Position, stop: Position, block: int = BLOCK) -> Iterator[bytes]:
        """The bytes from ``start`` up to ``stop`` as blocks that each end at a line end."""
        for index, first, last in self.ranges(start, stop):
            pos, carry = first, b""
            while pos < last:
                data = self.read(index, pos, min(block, last - pos))
                if not data:
                    break
                pos += len(data)
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # a line longer than the block
                    carry += data
                    continue
                yield carry + data[:cut]
                carry = data[cut:]
            if carry:  # the file ended without a newline (a rotated file cut short)
                yield carry + b"\n"

    def chunks_backward(self, before: Position, block: int = BLOCK) -> Iterator[tuple[Position, bytes]]:
        """Line-aligned blocks walking back from ``before``; each with the position of its first byte."""
        for index in range(min(before.file, len(self.files) - 1), -1, -1):
            end = before.offset if index == before.file else self.files[index].size
            while end > 0:
                size = block
                while True:
                    begin = max(0, end - size)
                    data = self.read(index, begin, end - begin)
                    if begin == 0:
                        break
                    # Start the block at a line start; the cut-off head is read next round.
                    cut = data.find(b"\n") + 1
                    if 0 < cut < len(data):
                        data, begin = data[cut:], begin + cut
                        break
                    size *= 2  # one line longer than the block: read more
                yield Position(index, begin), data
                end = begin

    def lines(self, start: Position | None = None, stop: Position | None = None) -> Iterator[bytes]:
        """Every line (without its newline) between two positions: for the API, not the hot path."""
        for chunk in self.chunks(start or self.start, stop or self.end):
            yield from chunk.splitlines()
