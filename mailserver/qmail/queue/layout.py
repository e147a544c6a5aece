"""Where each file of a queued message lives, built from its number and nothing else.

A message's number is the inode of its ``mess`` file. The split directories (mess, info,
local, remote) hold it under ``<number mod conf-split>/<number>``; todo, intd and bounce
hold it directly (``todo/<number>``), unless the big-todo patch split those too. conf-split
is compiled into qmail (23 by default) and its install creates exactly that many
subdirectories, so the queue itself says what it is: :func:`discover` counts ``mess/0``,
``mess/1``, … A path is only ever made from an ``int`` inside the queue root: a name
from a payload never becomes a path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..errors import FieldError

DEFAULT_SPLIT: Final = 23  # conf-split of qmail 1.03, netqmail and notqmail
SPLIT_ENV: Final = "NODEWORX_CONF_SPLIT"  # only for a queue that has no subdirectories yet
MAX_SPLIT: Final = 1000
MAX_ID: Final = 2**64 - 1  # inode numbers are unsigned 64-bit

SPLIT_KINDS: Final = ("mess", "info", "local", "remote")
FLAT_KINDS: Final = ("todo", "intd", "bounce")  # split too under the big-todo patch, except bounce
KINDS: Final = (*SPLIT_KINDS, *FLAT_KINDS)
CHANNELS: Final = ("local", "remote")
# Every directory qmail's install makes (hier.c), with the account that owns it and its mode.
# Owner "q" is qmailq, "s" qmails; the group is always qmail.
DIRECTORIES: Final = (
    ("", "q", 0o750),
    ("pid", "q", 0o700),
    ("intd", "q", 0o700),
    ("todo", "q", 0o750),
    ("bounce", "s", 0o700),
    ("mess", "q", 0o750),
    ("info", "s", 0o700),
    ("local", "s", 0o700),
    ("remote", "s", 0o700),
    ("lock", "q", 0o750),
)


def message_id(value: object, field: str = "id") -> int:
    """``value`` as a message number, or FieldError: an int from 1 to 2**64-1, never a string."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise FieldError(field, f"{value!r} is not a message number (the number qmail-qread shows after #)")
    return value


@dataclass(frozen=True)
class Layout:
    """One queue directory and how it is split."""

    root: Path
    split: int = DEFAULT_SPLIT
    big_todo: bool = False  # todo/ and intd/ split as well (the big-todo patch)

    def __post_init__(self) -> None:
        if not 0 < self.split <= MAX_SPLIT:
            raise ValueError(f"conf-split must be 1..{MAX_SPLIT}, not {self.split}")

    def is_split(self, kind: str) -> bool:
        return kind in SPLIT_KINDS or (self.big_todo and kind in ("todo", "intd"))

    def shard(self, msg_id: int) -> int:
        return message_id(msg_id) % self.split

    def path(self, kind: str, msg_id: int) -> Path:
        """The file of ``kind`` for message ``msg_id`` (whether or not it exists)."""
        if kind not in KINDS:
            raise ValueError(f"{kind!r} is not a queue directory")
        name = str(message_id(msg_id))
        if self.is_split(kind):
            return self.root / kind / str(msg_id % self.split) / name
        return self.root / kind / name

    def relative(self, kind: str, msg_id: int) -> str:
        """The path as qmail's own messages name it: ``remote/8/1466718``."""
        return str(self.path(kind, msg_id).relative_to(self.root))

    def directories(self, kind: str) -> list[Path]:
        """The directories that hold ``kind`` files: its split subdirectories, or itself."""
        if self.is_split(kind):
            return [self.root / kind / str(n) for n in range(self.split)]
        return [self.root / kind]

    def files(self, msg_id: int) -> list[tuple[str, Path]]:
        """Every file message ``msg_id`` can have, by kind."""
        return [(kind, self.path(kind, msg_id)) for kind in KINDS]

    @property
    def lock(self) -> Path:
        return self.root / "lock"


def _numbered_subdirectories(directory: Path) -> int:
    """How many of ``directory``/0, /1, … exist as directories, counting from 0 without a gap."""
    try:
        names = set(os.listdir(directory))
    except OSError:
        return 0
    count = 0
    while str(count) in names and (directory / str(count)).is_dir():
        count += 1
    return count


def configured_split() -> int:
    value = os.environ.get(SPLIT_ENV, "")
    return (
        int(value) if value.isascii() and value.isdigit() and 0 < int(value) <= MAX_SPLIT else DEFAULT_SPLIT
    )


def discover(root: Path, split: int | None = None) -> Layout:
    """The layout of the queue at ``root``, its split read from ``mess/`` (or ``split``, or the default)."""
    if split is None:
        split = _numbered_subdirectories(root / "mess") or configured_split()
    big_todo = (root / "todo" / "0").is_dir() and not (root / "todo" / "0").is_symlink()
    return Layout(root, split, big_todo)
