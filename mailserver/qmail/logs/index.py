"""Where each ``info msg N`` line sits in a rotated log file, cached on disk.

A selection of the last five minutes often holds retries of messages that arrived days ago,
and their sender is only in their ``info msg`` line, days back in the log. Scanning back for it
would cost seconds on a busy server, but a rotated ``@….s`` file never changes again, so one
pass over it can be saved as a sorted (message id, offset) table and every later selection
answers with a binary search. ``current`` is never cached: it is still growing.

The cache lives in NODEWORX_QMAIL_LOG_CACHE (default ~/.cache/nodeworx/qmail-logs, or for root
/var/cache/nodeworx/qmail-logs under NODEWORX_SERVER_ROOT: root must not write where $HOME, perhaps
a user's, points); set it to ``off`` to keep tables in memory only. An unwritable cache is not an
error, just slower. The directories are created 0700, and one not owned by the effective uid, or
writable by group or others, is not used at all (one line on stderr says so): whoever can write
there could plant a symlink for us to write through or a table for us to trust. Tables are
written to a fresh ``mkstemp`` file (O_EXCL, never through a symlink) and renamed into place.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import re
import stat
import struct
import sys
import tempfile
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from pathlib import Path

from ..errors import UnreadableFile
from ..serverfile import open_regular
from . import config
from .files import LogDir, LogFile

CACHE_ENV = "NODEWORX_QMAIL_LOG_CACHE"
ROOT_CACHE = Path("/var/cache/nodeworx/qmail-logs")  # root's cache (under NODEWORX_SERVER_ROOT if set)
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
    if os.geteuid() == 0:
        return config.under_server_root(ROOT_CACHE)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nodeworx" / "qmail-logs"


_warned: set[Path] = set()


def _safe_dir(path: Path) -> bool:
    """Create ``path`` (0700) if need be; True when it is ours alone to write in.

    The cache root and its per-log-directory subdirectory are both checked: a directory someone
    else owns or may write to is refused with one line on stderr (once per process).
    """
    problem = None
    try:
        for directory in (path.parent, path):  # nothing is made inside a directory we refuse
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not _owned(os.lstat(directory)):
                problem = directory
                break
    except OSError:
        return False  # unwritable or gone: no cache, quietly (it is only slower)
    if problem is not None:
        if problem not in _warned:
            _warned.add(problem)
            print(
                f"warning: not caching log indexes in {problem}: it must be a directory owned by "
                f"uid {os.geteuid()} and not writable by group or others",
                file=sys.stderr,
            )
        return False
    return True


def _owned(st: os.stat_result) -> bool:
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o022


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
        self._dir = root / tag if root is not None else None
        self._checked = False
        self.log_dir = log_dir
        self._memory: dict[str, InfoIndex] = {}

    @property
    def dir(self) -> Path | None:
        """The cache directory, once it is known to be safe to use; None for no on-disk cache."""
        if not self._checked:
            self._checked = True
            if self._dir is not None and not _safe_dir(self._dir):
                self._dir = None
        return self._dir

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
            fd, st = open_regular(self.dir / name)
        except (OSError, UnreadableFile):  # missing, unreadable, a link, a fifo
            return None
        try:
            if st.st_uid != os.geteuid():
                return None
            return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # unreadable or empty
            return None
        finally:
            os.close(fd)

    def _load(self, log: LogFile) -> InfoIndex | None:
        data = self._map(f"{log.name}.idx")
        return InfoIndex.from_buffer(data, log.size) if data is not None else None

    def _save(self, log: LogFile, index: InfoIndex) -> None:
        self._write(f"{log.name}.idx", index.to_bytes(log.size))
        self._prune()

    def _write(self, name: str, data: bytes) -> None:
        directory = self.dir
        if directory is None:
            return
        # Written aside (a new file: O_EXCL, mode 0600) and renamed into place, so a reader never
        # maps a half-written table and nothing is written through a link planted in advance.
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, directory / name)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def _prune(self) -> None:
        """Drop tables of files multilog has since deleted (it keeps only the newest n)."""
        if self.dir is None:
            return
        for entry in self.dir.glob("@*.idx"):
            if not (self.log_dir / entry.name[:-4]).exists():
                with contextlib.suppress(OSError):
                    entry.unlink()
