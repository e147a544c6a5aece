"""Where each ``info msg N`` line sits in a rotated log file, cached on disk.

A selection of the last five minutes often holds retries of messages that arrived days ago,
and their sender is only in their ``info msg`` line, days back in the log. Scanning back for it
would cost seconds on a busy server, but a rotated ``@….s`` file never changes again, so one
pass over it can be saved as a sorted (message id, offset) table and every later selection
answers with a binary search. ``current`` is never cached: it is still growing.

The cache lives in NODEWORX_QMAIL_LOG_CACHE (default ~/.cache/nodeworx/qmail-logs); set it to
``off`` to keep tables in memory only. An unwritable cache is not an error, just slower.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import re
import struct
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from pathlib import Path

from .files import LogDir, LogFile

CACHE_ENV = "NODEWORX_QMAIL_LOG_CACHE"
_MAGIC = b"NWQLIDX1"
_HEADER = struct.Struct("<8sQQ")  # magic, size of the log file indexed, number of entries
_NEWEST_MAGIC = b"NWQLNEW1"
_NEWEST = struct.Struct("<8sQQ")  # magic, number of entries, bytes of the file list
INFO_LINE = re.compile(rb" info msg (\d+):")


def cache_root() -> Path | None:
    value = os.environ.get(CACHE_ENV, "").strip()
    if value.lower() in ("off", "none", "0"):
        return None
    if value:
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nodeworx" / "qmail-logs"


class InfoIndex:
    """Sorted ids and the offsets of their ``info msg`` lines in one file.

    A table read from the cache is a memory map viewed as 64-bit integers: nothing is copied
    or decoded, so opening the tables of seventy files costs about what opening the files does.
    """

    def __init__(self, ids: Sequence[int], offsets: Sequence[int]) -> None:
        self.ids, self.offsets = ids, offsets

    @classmethod
    def scan(cls, data: bytes) -> InfoIndex:
        pairs = sorted((int(m.group(1)), m.start() - 25) for m in INFO_LINE.finditer(data))
        return cls(array("Q", (p[0] for p in pairs)), array("Q", (p[1] for p in pairs)))

    def last_before(self, msg_id: int, limit: int) -> int | None:
        """Offset of the last ``info msg msg_id`` line that starts before ``limit``."""
        ids = self.ids
        i = bisect_left(ids, msg_id + 1) - 1
        while i >= 0 and ids[i] == msg_id:
            if self.offsets[i] < limit:
                return int(self.offsets[i])
            i -= 1
        return None

    def to_bytes(self, size: int) -> bytes:
        ids, offsets = array("Q", self.ids), array("Q", self.offsets)
        return _HEADER.pack(_MAGIC, size, len(ids)) + ids.tobytes() + offsets.tobytes()

    @classmethod
    def from_buffer(cls, data: mmap.mmap | bytes, size: int) -> InfoIndex | None:
        if len(data) < _HEADER.size:
            return None
        magic, indexed, count = _HEADER.unpack_from(data)
        if magic != _MAGIC or indexed != size or len(data) != _HEADER.size + 16 * count:
            return None
        view = memoryview(data)[_HEADER.size :].cast("Q")
        return cls(view[:count], view[count:])


class NewestIndex:
    """For every message id, its newest ``info msg`` line in a run of rotated files.

    Ids are inodes from a bounded pool, so this stays small (one entry per inode ever used)
    however many files it covers, and one lookup replaces a probe into every file.
    """

    def __init__(
        self, key: list[str], ids: Sequence[int], files: Sequence[int], offsets: Sequence[int]
    ) -> None:
        self.key, self.ids, self.files, self.offsets = key, ids, files, offsets

    def lookup(self, msg_id: int) -> tuple[int, int] | None:
        """(index into ``key``, offset) of the newest ``info msg msg_id`` line."""
        i = bisect_left(self.ids, msg_id)
        if i < len(self.ids) and self.ids[i] == msg_id:
            return int(self.files[i]), int(self.offsets[i])
        return None

    def to_bytes(self) -> bytes:
        names = "\n".join(self.key).encode()
        names += b"\n" * (-len(names) % 8)  # keep the arrays 8-byte aligned
        arrays = b"".join(array("Q", a).tobytes() for a in (self.ids, self.files, self.offsets))
        return _NEWEST.pack(_NEWEST_MAGIC, len(self.ids), len(names)) + names + arrays

    @classmethod
    def from_buffer(cls, data: mmap.mmap | bytes) -> NewestIndex | None:
        if len(data) < _NEWEST.size:
            return None
        magic, count, names_len = _NEWEST.unpack_from(data)
        start = _NEWEST.size + names_len
        if magic != _NEWEST_MAGIC or len(data) != start + 24 * count:
            return None
        key = [k for k in bytes(data[_NEWEST.size : start]).decode().split("\n") if k]
        view = memoryview(data)[start:].cast("Q")
        return cls(key, view[:count], view[count : 2 * count], view[2 * count :])


class IndexCache:
    def __init__(self, log_dir: Path, root: Path | None = None) -> None:
        root = cache_root() if root is None else root
        tag = f"{zlib.crc32(str(log_dir.resolve()).encode()):08x}"  # one subdirectory per log dir
        self.dir = root / tag if root is not None else None
        self.log_dir = log_dir
        self._memory: dict[str, InfoIndex] = {}

    def get(self, logs: LogDir, number: int) -> InfoIndex:
        """The table of file ``number`` of ``logs``: from the cache, or built (and cached) now."""
        log = logs.files[number]
        if log.name in self._memory:
            return self._memory[log.name]
        index = self._load(log) if log.finished else None
        if index is None:
            index = InfoIndex.scan(logs.read(number, 0, log.size))
            if log.finished:
                self._save(log, index)
        self._memory[log.name] = index
        return index

    def newest(self, logs: LogDir, count: int) -> NewestIndex:
        """The newest-occurrence table over the first ``count`` files of ``logs`` (rotated ones).

        After a rotation only the new file is merged in; entries of files multilog deleted are
        dropped (nothing newer can be in them, so nothing is lost).
        """
        key = [f"{log.name} {log.size}" for log in logs.files[:count]]
        cached = self._map("newest.idx")
        old = NewestIndex.from_buffer(cached) if cached is not None else None
        if old is not None and old.key == key:
            return old
        position = {k: i for i, k in enumerate(key)}
        newest: dict[int, tuple[int, int]] = {}
        covered = 0
        if old is not None:
            kept = [k for k in old.key if k in position]
            if kept == key[: len(kept)]:  # the cache covers a prefix of today's files
                remap = [position.get(k, -1) for k in old.key]
                for msg_id, f, offset in zip(old.ids, old.files, old.offsets, strict=True):
                    if f < len(remap) and remap[f] >= 0:  # (a damaged table must not crash us)
                        newest[msg_id] = (remap[f], offset)
                covered = len(kept)
        for i in range(covered, count):
            table = self.get(logs, i)
            newest.update(zip(table.ids, ((i, offset) for offset in table.offsets), strict=True))
        ids = sorted(newest)
        index = NewestIndex(key, ids, [newest[m][0] for m in ids], [newest[m][1] for m in ids])
        self._write("newest.idx", index.to_bytes())
        return index

    def _map(self, name: str) -> mmap.mmap | None:
        if self.dir is None:
            return None
        try:
            with open(self.dir / name, "rb") as handle:
                return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # missing, unreadable or empty
            return None

    def _load(self, log: LogFile) -> InfoIndex | None:
        data = self._map(f"{log.name}.idx")
        return InfoIndex.from_buffer(data, log.size) if data is not None else None

    def _save(self, log: LogFile, index: InfoIndex) -> None:
        self._write(f"{log.name}.idx", index.to_bytes(log.size))
        self._prune()

    def _write(self, name: str, data: bytes) -> None:
        if self.dir is None:
            return
        # Written aside and renamed into place, so a reader never maps a half-written table.
        tmp = self.dir / f".{name}.{os.getpid()}.tmp"
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            os.replace(tmp, self.dir / name)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()

    def _prune(self) -> None:
        """Drop tables of files multilog has since deleted (it keeps only the newest n)."""
        if self.dir is None:
            return
        for entry in self.dir.glob("@*.idx"):
            if not (self.log_dir / entry.name[:-4]).exists():
                with contextlib.suppress(OSError):
                    entry.unlink()
