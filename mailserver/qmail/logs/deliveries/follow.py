"""Keeping the index up to date: the first build, then every new line of ``current``.

Rotated ``@….s`` files never change, so each is read once. ``current`` is read again from where
the last read stopped, through a descriptor held open between reads: when multilog renames it to
``@….s`` and starts a new ``current``, the held descriptor still reads the old file to its end,
then any files rotated since (several rotations between two reads) are read whole, in name
order, and the new ``current`` from its start. A line multilog is still writing (no newline yet)
is left for the next read.

Each read that found lines adds a small segment; when enough have gathered they are merged
(and rows past the retention dropped), and the joiner's state is saved with the manifest that
matches it. After a restart the follower loads that state, drops the segments written after it
and reads on from the positions it holds: nothing is counted twice or lost.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import UnreadableFile
from ...serverfile import open_regular
from ..files import LogDir, rotated_names
from ..tai64n import is_label
from . import load, segments
from .build import Progress, join_files
from .reading import Sink, read_range
from .rows import RowJoiner
from .store import Manifest, Store, current_format

MERGE_AT = 16  # small segments gathered before they are merged into one
RETENTION_EVERY = 3600.0  # seconds between checks for rows past the retention
SAVE_EVERY = 60.0  # seconds between saves of the joiner's state
TAIL = 64  # bytes of `current` compared before each read, to notice a rewrite


class Rewritten(Exception):
    """``current`` no longer holds what the index read from it: rebuild the index."""


@dataclass
class Followed:
    """The file being followed: its number, identity, open descriptor and read position."""

    no: int
    dev: int
    ino: int
    fd: int
    pos: int
    tail: bytes | None = None  # the last bytes read, up to pos: None when not known

    def remember_tail(self) -> None:
        start = max(0, self.pos - TAIL)
        self.tail = os.pread(self.fd, self.pos - start, start)

    def unchanged(self) -> bool:
        """The bytes last read still end at ``pos`` (a rewrite of the same size changes them)."""
        if self.tail is None:
            return True
        return os.pread(self.fd, len(self.tail), self.pos - len(self.tail)) == self.tail


@dataclass
class State:
    """What the follower saves beside the manifest (as JSON: loading it runs no code)."""

    joiner: RowJoiner
    current: tuple[int, int, int, int, bytes | None] | None  # no, dev, ino, pos, tail (no descriptor)
    known: dict[tuple[int, int], int] = field(default_factory=dict)  # (dev, ino) -> file number
    positions: dict[tuple[int, int], int] = field(default_factory=dict)  # (dev, ino) -> bytes read

    def to_json(self) -> dict[str, Any]:
        current = None
        if self.current is not None:
            no, dev, ino, pos, tail = self.current
            current = [no, dev, ino, pos, None if tail is None else tail.decode("latin-1")]
        return {
            "joiner": self.joiner.to_json(),
            "current": current,
            "known": [[dev, ino, no] for (dev, ino), no in self.known.items()],
            "positions": [[dev, ino, pos] for (dev, ino), pos in self.positions.items()],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> State:
        """The state :meth:`to_json` gave; KeyError, TypeError or ValueError when ``data`` is not one."""
        current = None
        if data["current"] is not None:
            no, dev, ino, pos, tail = data["current"]
            current = (
                int(no),
                int(dev),
                int(ino),
                int(pos),
                None if tail is None else tail.encode("latin-1"),
            )
        return cls(
            RowJoiner.from_json(data["joiner"]),
            current,
            {(int(dev), int(ino)): int(no) for dev, ino, no in data["known"]},
            {(int(dev), int(ino)): int(pos) for dev, ino, pos in data["positions"]},
        )


class Follower:
    def __init__(self, log_dir: Path, store: Store, *, workers: int = 2) -> None:
        self.log_dir, self.store, self.workers = log_dir, store, workers
        self.con: Any = None
        self.joiner: RowJoiner | None = None
        self.current: Followed | None = None
        self.known: dict[tuple[int, int], int] = {}
        self.positions: dict[tuple[int, int], int] = {}
        self.manifest = Manifest()
        self.saved_at = 0.0
        self.retained_at = 0.0

    # -- start ----------------------------------------------------------------------------
    def start(self, progress: Progress | None = None) -> None:
        """Load the saved state, or build the index from the whole log directory."""
        manifest = self.store.manifest()
        if manifest is not None and manifest.format != current_format():
            # Written by another version: readers keep it (on texts) until the new one is published.
            self.build(progress, replacing=manifest)
            return
        if manifest is not None and manifest.state and self._load(manifest):
            self.con = self.con or load.connect()
            return
        self.build(progress)

    def _load(self, manifest: Manifest) -> bool:
        try:
            state = State.from_json(json.loads((self.store.root / str(manifest.state)).read_bytes()))
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return False  # missing, cut short, of another version (an older pickle): built again
        self.joiner, self.known, self.manifest = state.joiner, state.known, manifest
        self.positions = state.positions
        # Segments written after this state are read again from its positions.
        stale = [s["name"] for s in manifest.segments if s.get("since") == manifest.state]
        manifest.segments = [s for s in manifest.segments if s.get("since") != manifest.state]
        self.store.retire(manifest, [*stale, manifest.running or ""])
        manifest.running = None
        if state.current is not None:
            no, dev, ino, pos, tail = state.current
            fd = self._open_ident("current", dev, ino)
            if fd is None:  # rotated while we were down: find it among the @ files
                fd = self._find_rotated(dev, ino)
            if fd is not None:
                self.current = Followed(no, dev, ino, fd, pos, tail)
        self.saved_at = time.monotonic()
        return True

    def build(self, progress: Progress | None = None, *, replacing: Manifest | None = None) -> None:
        started = time.monotonic()
        log = LogDir(self.log_dir)
        tmp = self.store.new_dir("tmp")
        try:
            stats = [os.fstat(log.fd(i)) for i in range(len(log.files))]
            numbers = list(range(len(log.files)))
            # DuckDB only after the join: it runs threads, and a process forked while another
            # thread holds a lock (malloc's, say) can wait for it forever in the child.
            joiner, files, seams = join_files(log, numbers, tmp, self.workers, progress)
            self.con = self.con or load.connect()
            if progress:
                progress("writing", 1, 1)
            segment = self.store.new_dir("seg")
            counts = load.write_segment(self.con, files, segment, seams)
            self.joiner = joiner
            self.known = {(st.st_dev, st.st_ino): n for n, st in zip(numbers, stats, strict=True)}
            self.positions = {(st.st_dev, st.st_ino): f.size for f, st in zip(log.files, stats, strict=True)}
            manifest = Manifest(log_dir=str(self.log_dir), format=current_format())
            if replacing is not None:  # readers see a newer generation; the old files go after GRACE
                manifest.gen, manifest.retired = replacing.gen, replacing.retired
                old = [s["name"] for s in replacing.segments]
                self.store.retire(manifest, [*old, replacing.running or "", replacing.state or ""])
            for n, (log_file, st) in enumerate(zip(log.files, stats, strict=True)):
                first = log.firsts[n].decode()
                manifest.files.append(
                    {"no": n, "name": log_file.name, "dev": st.st_dev, "ino": st.st_ino,
                     "size": log_file.size, "first": first, "done": log_file.finished}
                )  # fmt: skip
            manifest.segments.append(self._segment(segment, counts, None))
            manifest.newest = (log.last_label() or b"").decode()
            if log.files and not log.files[-1].finished:
                st = stats[-1]
                fd = os.dup(log.fd(len(log.files) - 1))
                self.current = Followed(numbers[-1], st.st_dev, st.st_ino, fd, log.files[-1].size)
                self.current.remember_tail()
            self.manifest = manifest
            manifest.build_seconds = time.monotonic() - started
            manifest.built = time.time()
            self._write_running()
            self._save_state()
        finally:
            log.close()
            shutil.rmtree(tmp, ignore_errors=True)

    # -- following --------------------------------------------------------------------------
    def _dir_fd(self) -> int:
        return os.open(self.log_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)

    def _open_ident(self, name: str, dev: int, ino: int) -> int | None:
        directory = self._dir_fd()
        try:
            fd, st = open_regular(name, dir_fd=directory, shown=self.log_dir / name)
        except (FileNotFoundError, UnreadableFile):
            return None
        finally:
            os.close(directory)
        if (st.st_dev, st.st_ino) != (dev, ino):
            os.close(fd)
            return None
        return fd

    def _find_rotated(self, dev: int, ino: int) -> int | None:
        for name in reversed(rotated_names(self.log_dir)):
            fd = self._open_ident(name, dev, ino)
            if fd is not None:
                return fd
        return None

    def tick(self) -> bool:
        """Read what was written since the last tick; True when rows were added."""
        assert self.joiner is not None
        joiner = self.joiner
        tmp = self.store.new_dir("tmp")
        sink = Sink(tmp, "t")
        try:
            lines = joiner.lines
            self._read_new(joiner, sink)
            sink.flush(joiner, force=True)
            if joiner.lines == lines:
                return False
            segment = self.store.new_dir("seg")
            # No keys file: small, named from its rows until merged (keyed.names, segments.merge_small).
            counts = load.write_segment(self.con, sink.files, segment, keys=False)
            self.manifest.segments.append(self._segment(segment, counts, self.manifest.state))
            self._write_running()
            if self._small() >= MERGE_AT or time.monotonic() - self.saved_at > SAVE_EVERY:
                self._merge_small()
                if time.monotonic() - self.retained_at > RETENTION_EVERY:
                    self.apply_retention()
                self._save_state()
            else:
                self.store.publish(self.manifest)
            return True
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _read_new(self, joiner: RowJoiner, sink: Sink) -> None:
        directory = self._dir_fd()
        try:
            try:
                fd, st = open_regular("current", dir_fd=directory, shown=self.log_dir / "current")
            except (FileNotFoundError, UnreadableFile):
                fd, st = -1, None
        finally:
            os.close(directory)
        cur = self.current
        if st is not None and cur is not None and (st.st_dev, st.st_ino) == (cur.dev, cur.ino):
            os.close(fd)  # the same file: read on through the descriptor we hold
            size = os.fstat(cur.fd).st_size
            if size < cur.pos or not cur.unchanged():
                # multilog only appends, so someone cut or rewrote it: what the index holds
                # from this file may no longer be in the log
                raise Rewritten(f"{self.log_dir / 'current'} was rewritten")
            cur.pos = self._read(joiner, cur, size, sink, final=False)
            return
        if cur is not None:  # multilog rotated it: the old file is finished, read it to its end
            self._read(joiner, cur, os.fstat(cur.fd).st_size, sink, final=True)
            self._done(cur)
            os.close(cur.fd)
            self.current = None
        for name in rotated_names(self.log_dir):  # files rotated since, never seen
            new = self._open_new(name)
            if new is not None:
                self._read(joiner, new, os.fstat(new.fd).st_size, sink, final=True)
                self._done(new)
                os.close(new.fd)
        if st is not None:
            ident = (st.st_dev, st.st_ino)
            if ident in self.known:  # the same file back (moved aside and back): read on from where we were
                self.current = Followed(self.known[ident], *ident, fd, self.positions.get(ident, 0))
            else:
                self.current = Followed(self._number(*ident, "current", fd), *ident, fd, 0)
            self.current.pos = self._read(joiner, self.current, st.st_size, sink, final=False)

    def _open_new(self, name: str) -> Followed | None:
        directory = self._dir_fd()
        try:
            fd, st = open_regular(name, dir_fd=directory, shown=self.log_dir / name)
        except (FileNotFoundError, UnreadableFile):
            return None
        finally:
            os.close(directory)
        if (st.st_dev, st.st_ino) in self.known:
            os.close(fd)
            return None
        return Followed(self._number(st.st_dev, st.st_ino, name, fd), st.st_dev, st.st_ino, fd, 0)

    def _number(self, dev: int, ino: int, name: str, fd: int) -> int:
        no = self.manifest.next_no()
        self.known[(dev, ino)] = no
        first = os.pread(fd, 25, 0)
        label = first[1:25].decode() if first[:1] == b"@" and is_label(first[1:25]) else ""
        self.manifest.files.append(
            {"no": no, "name": name, "dev": dev, "ino": ino, "size": 0, "first": label, "done": False}
        )
        return no

    def _read(self, joiner: RowJoiner, f: Followed, size: int, sink: Sink, *, final: bool) -> int:
        joiner.file_no = f.no
        pos = read_range(joiner, f.fd, f.pos, size, sink, final=final)
        if pos != f.pos or f.tail is None:
            f.pos = pos
            f.remember_tail()
        self.positions[(f.dev, f.ino)] = pos
        entry = next(e for e in self.manifest.files if e["no"] == f.no)
        entry["size"] = pos
        if not entry["first"] and pos:
            head = os.pread(f.fd, 25, 0)
            entry["first"] = head[1:25].decode() if is_label(head[1:25]) else ""
        if joiner.latest and joiner.latest.decode() > self.manifest.newest:
            self.manifest.newest = joiner.latest.decode()
        return pos

    def _done(self, f: Followed) -> None:
        for entry in self.manifest.files:
            if entry["no"] == f.no:
                entry["done"] = True

    # -- segments and state -----------------------------------------------------------------
    def _small(self) -> int:
        return segments.small(self.manifest)

    def _merge_small(self) -> None:
        segments.merge_small(self.con, self.store, self.manifest)

    def _segment(self, path: Path, counts: dict[str, int], since: str | None) -> dict[str, Any]:
        return segments.describe(self.con, path, counts, since)

    def apply_retention(self, now: float | None = None) -> None:
        """Drop rows older than the retention the admin set (segments.apply_retention)."""
        segments.apply_retention(self.con, self.store, self.manifest, time.time() if now is None else now)
        self.retained_at = time.monotonic()

    def _write_running(self) -> None:
        assert self.joiner is not None
        tmp = self.store.new_dir("tmp")
        try:
            sink = Sink(tmp, "r")
            sink.add("attempts", self.joiner.running())
            sink.add("messages", self.joiner.unwritten())
            running = self.store.new_dir("run")
            load.write_segment(self.con, sink.files, running, keys=False)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.store.retire(self.manifest, [self.manifest.running or ""])
        self.manifest.running = running.name

    def _save_state(self) -> None:
        assert self.joiner is not None
        cur = self.current
        where = None if cur is None else (cur.no, cur.dev, cur.ino, cur.pos, cur.tail)
        state = State(self.joiner, where, self.known, self.positions)
        path = self.store.new_dir("tmp") / "state"
        path.write_text(json.dumps(state.to_json(), separators=(",", ":")))
        name = f"state-{self.manifest.gen + 1:08d}"
        os.replace(path, self.store.root / name)
        shutil.rmtree(path.parent, ignore_errors=True)
        self.store.retire(self.manifest, [self.manifest.state or ""])
        self.manifest.state = name
        for segment in self.manifest.segments:
            segment["since"] = None  # covered by this state
        self.store.publish(self.manifest)
        self.saved_at = time.monotonic()

    def close_current(self) -> None:
        if self.current is not None:
            with contextlib.suppress(OSError):
                os.close(self.current.fd)
            self.current = None

    def close(self) -> None:
        self.close_current()
        if self.con is not None:
            self.con.close()
            self.con = None
