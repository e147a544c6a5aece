"""A cached view of the queue's directories: counts for free while nothing changed.

qmail-qstat counts with ``find queue/mess/* -type f | wc -l``: every file, every time. Here each
directory (the 23 split subdirectories of mess, info, local and remote, and todo, intd, bounce)
is listed once and kept with its inode, mtime and ctime; the counts list only mess, todo, local,
remote and bounce, and a listing stats no file (the entry types come with it). Adding or
removing a message changes the mtime of the directories its files are in, so a later look stats
the directories and lists again only those that changed. What a directory's files hold (senders
and births from info, sizes of mess files, recipients) is read the first time a search needs it,
kept with the listing, and dropped with it.

Two rules keep the cache honest. A directory's mtime has the kernel clock's coarse resolution,
so a change made in the same tick as the listing could leave the mtime as it was: a listing is
only trusted once the directory's mtime is older than the moment it was taken by more than
:data:`RACY` seconds (until then it is taken again each time). And a file changed in place
(qmail-send marking a recipient done, or setting a retry time) changes no directory: the cached
contents serve to select messages, and every message shown is read again from its files
(:func:`mailserver.qmail.queue.message.read_message`).

One index per queue and process (:func:`index_for`); the agent's worker processes keep theirs
between calls. Not thread-safe: each worker process handles one operation at a time.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ..errors import QmailError
from . import records
from .layout import KINDS, Layout
from .reader import lstat_regular, open_directory, read_small

RACY: Final = 1.0  # seconds between a directory's last change and a listing that can be trusted
COUNTED: Final = ("mess", "todo", "local", "remote", "bounce")  # what the counts list (not info, intd)

Loader = Callable[[str, int], Any]  # (file name, directory fd) -> value; raises to skip the file


_NUMBERS = re.compile(r"(?:[1-9][0-9]*\n)*[1-9][0-9]*")  # names joined by newlines, all message numbers


@dataclass
class Shard:
    """One directory of the queue as last listed."""

    kind: str
    path: Path
    key: tuple[int, int, int] | None  # (inode, mtime_ns, ctime_ns); None: the directory is missing
    settled: bool
    names: list[str]  # its regular files, as ``find -type f`` counts them
    others: list[str]  # anything else in it: directories, links, fifos
    columns: dict[str, dict[int, Any]] = field(default_factory=dict)
    _ids: list[int] | None = None
    _odd_names: list[str] = field(default_factory=list)

    @property
    def files(self) -> int:
        return len(self.names)

    @property
    def ids(self) -> list[int]:
        """The message numbers its files are named by (worked out once, when first asked)."""
        if self._ids is None:
            if not self.names or _NUMBERS.fullmatch("\n".join(self.names)):
                self._ids = list(map(int, self.names))  # one pass in C: the usual case
            else:
                numbers = [(name, message_number(name)) for name in self.names]
                self._ids = [number for _, number in numbers if number]
                self._odd_names = [name for name, number in numbers if not number]
        return self._ids

    @property
    def strays(self) -> list[str]:
        """Entries that are not a regular file named by a message number."""
        self.ids  # noqa: B018 (sorts the names first)
        return self.others + self._odd_names


def _key(path: Path) -> tuple[tuple[int, int, int] | None, int]:
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None, 0
    return (st.st_ino, st.st_mtime_ns, st.st_ctime_ns), st.st_mtime_ns


def message_number(name: str) -> int | None:
    """The number a file name stands for, as qmail reads it back (no sign, no leading zero)."""
    if name.isascii() and name.isdigit() and (name == "0" or not name.startswith("0")):
        return int(name)
    return None


def _list(kind: str, path: Path) -> Shard:
    taken = time.time_ns()
    key, mtime_ns = _key(path)
    names: list[str] = []
    others: list[str] = []
    if key is not None:
        try:
            with os.scandir(path) as listing:
                entries = list(listing)
        except NotADirectoryError:
            entries, others = [], ["."]
        except OSError as exc:
            raise QmailError(f"cannot list {path}: {exc.strerror}") from exc
        # The entry types come with the listing (d_type): no file is stat'ed.
        names = [entry.name for entry in entries if entry.is_file(follow_symlinks=False)]
        if len(names) != len(entries):
            others = [entry.name for entry in entries if not entry.is_file(follow_symlinks=False)]
    settled = mtime_ns < taken - int(RACY * 1e9)
    return Shard(kind, path, key, settled, names, others)


@dataclass(frozen=True, slots=True)
class Counts:
    """qmail-qstat's two figures, and the Local / Remote / Todo queues of the Mail Queue page."""

    messages: int  # files in mess/*: "messages in queue"
    unprocessed: int  # files in todo/: "messages in queue but not yet preprocessed"
    local: int  # messages with local deliveries to do
    remote: int  # messages with remote deliveries to do
    bouncing: int  # messages with a bounce collecting in bounce/

    @property
    def todo(self) -> int:
        return self.unprocessed

    def as_json(self) -> dict[str, int]:
        return {
            "messages": self.messages,
            "unprocessed": self.unprocessed,
            "local": self.local,
            "remote": self.remote,
            "todo": self.todo,
            "bouncing": self.bouncing,
        }


class QueueIndex:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._shards: dict[tuple[str, int], Shard] = {}
        self.generation = 0  # grows whenever a directory had to be listed again
        self._memo: dict[str, tuple[int, Any]] = {}

    def refresh(self, kinds: Iterable[str] = KINDS) -> None:
        """Stat the directories of ``kinds``; list again those that changed or were not settled."""
        changed = False
        for kind in kinds:
            for number, path in enumerate(self.layout.directories(kind)):
                old = self._shards.get((kind, number))
                if old is not None and old.settled and _key(path)[0] == old.key:
                    continue
                self._shards[(kind, number)] = _list(kind, path)
                changed = True
        if changed:
            self.generation += 1

    def invalidate(self) -> None:
        """Forget everything (after the panel changed files in place, e.g. a birth time)."""
        self._shards.clear()
        self.generation += 1

    def shards(self, kind: str) -> list[Shard]:
        return [shard for (k, _), shard in sorted(self._shards.items()) if k == kind]

    def ids(self, kind: str) -> set[int]:
        return {msg_id for shard in self.shards(kind) for msg_id in shard.ids}

    def counts(self) -> Counts:
        self.refresh(COUNTED)
        files = {kind: sum(shard.files for shard in self.shards(kind)) for kind in COUNTED}
        return Counts(
            messages=files["mess"],
            unprocessed=files["todo"],
            local=files["local"],
            remote=files["remote"],
            bouncing=files["bounce"],
        )

    def memo(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, made again only after a directory was listed again (a new generation)."""
        kept = self._memo.get(name)
        if kept is None or kept[0] != self.generation:
            kept = self._memo[name] = (self.generation, compute())
        return kept[1]

    def column(self, kind: str, name: str, loader: Loader) -> dict[int, Any]:
        """``loader``'s value for every ``kind`` file, read once per listing of its directory.

        A file that cannot be read (gone meanwhile, not a regular file) is left out.
        """
        merged: dict[int, Any] = {}
        for shard in self.shards(kind):
            merged.update(self.shard_column(shard, name, loader))
        return merged

    @staticmethod
    def shard_column(shard: Shard, name: str, loader: Loader) -> dict[int, Any]:
        values = shard.columns.get(name)
        if values is None:
            values = shard.columns[name] = _load(shard, loader)
        return values


def _load(shard: Shard, loader: Loader) -> dict[int, Any]:
    values: dict[int, Any] = {}
    if not shard.ids:
        return values
    try:
        dir_fd = open_directory(shard.path)
    except OSError:
        return values
    try:
        for msg_id in shard.ids:
            try:
                values[msg_id] = loader(str(msg_id), dir_fd)
            except (OSError, QmailError):
                continue
    finally:
        os.close(dir_fd)
    return values


# -- what the searches read --------------------------------------------------------------------


def info_loader(name: str, dir_fd: int) -> tuple[float, str | None]:
    """(birth, sender) of an info file; the sender is None when qmail could not read it either."""
    data, st = read_small(name, dir_fd)
    try:
        return st.st_mtime, records.parse_info(data)
    except records.Malformed:
        return st.st_mtime, None


def birth_loader(name: str, dir_fd: int) -> float:
    """The birth of a message (its info file's mtime), from one lstat."""
    st = lstat_regular(name, dir_fd)
    if st is None:
        raise FileNotFoundError(name)
    return st.st_mtime


def size_loader(name: str, dir_fd: int) -> int:
    st = lstat_regular(name, dir_fd)
    if st is None:
        raise FileNotFoundError(name)
    return st.st_size


def recipients_loader(name: str, dir_fd: int) -> tuple[records.Recipient, ...]:
    return records.parse_channel(read_small(name, dir_fd)[0])


def envelope_loader(name: str, dir_fd: int) -> tuple[float, records.Envelope]:
    data, st = read_small(name, dir_fd)
    return st.st_mtime, records.parse_envelope(data)


_INDEXES: dict[Path, QueueIndex] = {}


def index_for(layout: Layout) -> QueueIndex:
    """This process's index of the queue at ``layout.root`` (a new one if its layout changed)."""
    index = _INDEXES.get(layout.root)
    if index is None or index.layout != layout:
        index = _INDEXES[layout.root] = QueueIndex(layout)
    return index


def forget(root: Path) -> None:
    """Drop the index of the queue at ``root`` (it was moved aside or replaced)."""
    _INDEXES.pop(root, None)
