"""Where the delivery index lives: Parquet segments, a manifest naming them, the follower's state.

A segment is a directory of up to four Parquet files of rows (attempts, messages, bounces, ends),
and for a built or merged one a fifth of its address keys (load.write_keys), that is
never changed once written; new rows make a new segment, and compaction writes the union of
several as one new segment. The manifest (``manifest.json``, replaced atomically) names the
segments that make up the index now, the log files read and how far, and the small "running"
segment of what is still under way (attempts without a result, messages without a row yet).
Readers take the manifest and read the segments it names; a segment leaves the disk a while after
it leaves the manifest, so a reader that took the previous manifest still finds its files.

Only one writer works at a time (the follower, holding ``lock``); any number of readers, in any
process, never wait for it. The directory is the log cache's (index.cache_root(), 0700, owned by
the agent's uid). The follower's state is JSON, plain data (RowJoiner.to_json): loading it runs
no code, and a state that is missing or does not load makes the follower build the index again.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import shutil
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import index as log_index

GRACE = 120.0  # seconds a retired segment stays on disk for readers of an older manifest
RETENTION_DAYS = 90  # default: rows older than this leave at the next compaction
INDEX_ENV = "NODEWORX_LOG_INDEX"


@functools.cache
def current_format() -> str:
    """What the rows' layout depends on: this code's row format and DuckDB's version (whose hash
    makes the address keys, load.key_id). An index of another format is built again."""
    from importlib.metadata import version

    return f"{ROW_FORMAT} duckdb {version('duckdb')}"


ROW_FORMAT = 3  # 2: integer address and domain keys (rid, sid, rdom, sdom); 3: prev_started, prev_finished


@dataclass
class Manifest:
    gen: int = 0
    format: str = ""  # current_format() of the code that built it; "" before formats were recorded
    log_dir: str = ""
    files: list[dict[str, Any]] = field(default_factory=list)  # no, name, dev, ino, size, first, done
    segments: list[dict[str, Any]] = field(default_factory=list)  # name, rows {table: n}, newest
    running: str | None = None
    newest: str = ""  # label of the newest line read
    built: float = 0.0  # when the first build finished (unix time)
    build_seconds: float = 0.0
    retired: list[tuple[str, float]] = field(default_factory=list)  # (segment, when it left)
    state: str | None = None  # the follower's state file that matches this manifest

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        data["retired"] = [tuple(r) for r in data.get("retired", [])]
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def next_no(self) -> int:
        return max((f["no"] for f in self.files), default=-1) + 1

    def paths(
        self, root: Path, table: str, *, segments: bool = True, running: bool = True, lacking: str = ""
    ) -> list[str]:
        """The Parquet files of ``table`` in the current segments and the running segment.

        ``lacking``: only the segments without a file of that table (the running one has none).
        """
        kept = [s for s in self.segments if not (lacking and s["rows"].get(lacking))] if segments else []
        names = [s["name"] for s in kept if s["rows"].get(table)]
        out = [str(root / name / f"{table}.parquet") for name in names]
        if running and self.running and (root / self.running / f"{table}.parquet").exists():
            out.append(str(root / self.running / f"{table}.parquet"))
        return out


def index_root(log_dir: Path, cache: Path | None = None) -> Path | None:
    """The index directory for ``log_dir``: NODEWORX_LOG_INDEX, else beside the info-index cache."""
    value = os.environ.get(INDEX_ENV, "").strip()
    if value.lower() in ("off", "none", "0"):
        return None
    if value:
        return Path(value)
    base = cache if cache is not None else log_index.cache_root()
    if base is None:
        return None
    tag = f"{zlib.crc32(str(log_dir.resolve()).encode()):08x}"
    return base / tag / "deliveries"


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root

    def ready(self) -> bool:
        """Create the directory (0700) if need be; False when it is not ours alone (see index.py)."""
        return log_index._safe_dir(self.root)

    # -- the manifest -------------------------------------------------------------------------
    def manifest(self) -> Manifest | None:
        try:
            return Manifest.from_json((self.root / "manifest.json").read_text())
        except (OSError, ValueError, TypeError):
            return None

    def publish(self, manifest: Manifest) -> None:
        manifest.gen += 1
        self._write(self.root / "manifest.json", manifest.to_json().encode())
        self.sweep(manifest)

    def _write(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def retire(self, manifest: Manifest, names: list[str]) -> None:
        now = time.time()
        manifest.retired += [(name, now) for name in names if name]

    def sweep(self, manifest: Manifest) -> None:
        """Delete retired segments past their grace period, and leftovers of interrupted work."""
        now = time.time()
        keep = []
        for name, when in manifest.retired:
            if now - when > GRACE:
                shutil.rmtree(self.root / name, ignore_errors=True)
                with contextlib.suppress(OSError):
                    (self.root / name).unlink()  # a retired state file
            else:
                keep.append((name, when))
        manifest.retired = keep
        live = {s["name"] for s in manifest.segments} | {manifest.running, manifest.state}
        live |= {name for name, _ in keep}
        for entry in self.root.iterdir():
            stray = entry.name.startswith(("seg-", "run-", "state-", "tmp-")) and entry.name not in live
            if stray and now - entry.stat().st_mtime > GRACE:  # left by an interrupted writer
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        entry.unlink()

    # -- directories for new segments ---------------------------------------------------------
    def new_dir(self, prefix: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=self.root))

    @contextlib.contextmanager
    def writer(self, wait: bool = True) -> Iterator[bool]:
        """The writer's lock; yields False (without waiting) when ``wait`` is off and it is taken."""
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def settings(self) -> dict[str, Any]:
        try:
            data = json.loads((self.root / "settings.json").read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def save_settings(self, settings: dict[str, Any]) -> None:
        self._write(self.root / "settings.json", json.dumps(settings).encode())

    def retention_days(self) -> int:
        value = self.settings().get("retention_days", RETENTION_DAYS)
        return value if isinstance(value, int) and value > 0 else RETENTION_DAYS

    def size(self, manifest: Manifest) -> int:
        """Bytes on disk of what the manifest names."""
        total = 0
        for name in [s["name"] for s in manifest.segments] + [manifest.running, manifest.state]:
            if not name:
                continue
            path = self.root / name
            if path.is_dir():
                total += sum(p.stat().st_size for p in path.iterdir())
            elif path.exists():
                total += path.stat().st_size
        return total
