"""A fresh queue exactly as qmail's install makes it, and old queues moved aside, never deleted.

qmail's ``install`` (hier.c ``hier_queue``) creates, all in group qmail:

====================  ========  =====  =============================================
queue, todo, mess/*   qmailq    0750   mess split into conf-split subdirectories
pid, intd             qmailq    0700
lock                  qmailq    0750
bounce                qmails    0700
info/*, local/*,      qmails    0700   split like mess
remote/*
lock/tcpto            qmailr    0644   1024 zero bytes (qmail-remote's timeout table)
lock/sendmutex        qmails    0600   empty (qmail-send's lock)
lock/trigger          qmails    0622   a fifo (qmail-queue wakes qmail-send through it)
====================  ========  =====  =============================================

The accounts are the system's qmailq, qmails, qmailr and group qmail (:meth:`Owners.from_system`);
a host without them (the demo) takes the owners its current queue has (:meth:`Owners.of_queue`).
The new queue is built under a temporary name beside the old one and renamed into place, so
qmail never sees half a queue.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..errors import QmailError
from .layout import DIRECTORIES, SPLIT_KINDS, Layout

TCPTO_SIZE: Final = 1024
LOCK_FILES: Final = (  # name, owner ("s" qmails, "r" qmailr), mode, fifo?
    ("tcpto", "r", 0o644, False),
    ("sendmutex", "s", 0o600, False),
    ("trigger", "s", 0o622, True),
)
MOVED_ASIDE: Final = re.compile(r"queue\.bad-(\d{8}-\d{6})(?:-\d+)?")


@dataclass(frozen=True)
class Owners:
    qmailq: int
    qmails: int
    qmailr: int
    qmail: int  # the group

    def uid(self, who: str) -> int:
        return {"q": self.qmailq, "s": self.qmails, "r": self.qmailr}[who]

    @classmethod
    def from_system(cls) -> Owners:
        try:
            return cls(
                pwd.getpwnam("qmailq").pw_uid,
                pwd.getpwnam("qmails").pw_uid,
                pwd.getpwnam("qmailr").pw_uid,
                grp.getgrnam("qmail").gr_gid,
            )
        except KeyError as exc:
            raise QmailError(f"this host has no qmail account {exc}") from None

    @classmethod
    def of_queue(cls, layout: Layout) -> Owners:
        """The owners qmail's install gave the queue at ``layout``: queue/ (qmailq, group qmail),
        info/ (qmails) and lock/tcpto (qmailr)."""
        try:
            queue = os.lstat(layout.root)
            info = os.lstat(layout.root / "info")
            tcpto = os.lstat(layout.lock / "tcpto")
        except OSError as exc:
            raise QmailError(f"cannot tell the qmail accounts from {layout.root}: {exc}") from None
        return cls(queue.st_uid, info.st_uid, tcpto.st_uid, queue.st_gid)

    @classmethod
    def for_queue(cls, layout: Layout) -> Owners:
        try:
            return cls.from_system()
        except QmailError:
            return cls.of_queue(layout)


def _make(path: Path, kind: str = "dir", size: int = 0) -> None:
    """Create ``path`` as root's alone (0700 / 0600); :func:`build` hands it over afterwards."""
    if kind == "dir":
        os.mkdir(path, 0o700)
    elif kind == "fifo":
        os.mkfifo(path, 0o600)
    else:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            if size:
                os.write(fd, bytes(size))
            os.fsync(fd)
        finally:
            os.close(fd)


def build(root: Path, split: int, owners: Owners) -> None:
    """Create the whole queue at ``root`` (which must not exist).

    Everything is made first as root's alone, then handed to its owner with its mode, deepest
    first and ``root`` itself last: until then no other account can enter the new tree, so none
    can swap a link in for a directory the owner or mode change would then follow.
    """
    made: list[tuple[Path, int, int]] = []  # path, uid, mode (the group is always qmail)
    for name, who, mode in DIRECTORIES:
        path = root / name if name else root
        _make(path)
        made.append((path, owners.uid(who), mode))
        if name in SPLIT_KINDS:
            for n in range(split):
                _make(path / str(n))
                made.append((path / str(n), owners.uid(who), mode))
    for name, who, mode, fifo in LOCK_FILES:
        path = root / "lock" / name
        _make(path, "fifo" if fifo else "file", TCPTO_SIZE if name == "tcpto" else 0)
        made.append((path, owners.uid(who), mode))
    for path, uid, mode in sorted(made, key=lambda item: len(item[0].parts), reverse=True):
        os.chown(path, uid, owners.qmail, follow_symlinks=False)
        os.chmod(path, mode)  # after chown (which clears set-id bits), and whatever the umask
    _sync(root)
    _sync(root.parent)


def _sync(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_queue(root: Path, split: int, owners: Owners) -> Path:
    """A fresh queue at ``root`` (absent now), built under a temporary name and renamed into place."""
    temporary = root.with_name(f".{root.name}.new-{os.getpid()}-{time.time_ns()}")
    try:
        build(temporary, split, owners)
        os.rename(temporary, root)  # fails if root exists: never replaces a queue
    except OSError as exc:
        shutil.rmtree(temporary, ignore_errors=True)  # only what this call made
        raise QmailError(f"cannot create a queue at {root}: {exc.strerror or exc}") from exc
    _sync(root.parent)
    return root


def move_aside(root: Path, now: float | None = None) -> Path:
    """Rename the queue at ``root`` to ``queue.bad-YYYYmmdd-HHMMSS`` beside it (never deleted)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(time.time() if now is None else now))
    target = root.with_name(f"queue.bad-{stamp}")
    n = 1
    while target.exists() or target.is_symlink():
        n += 1
        target = root.with_name(f"queue.bad-{stamp}-{n}")
    try:
        os.rename(root, target)
    except OSError as exc:
        raise QmailError(f"cannot move {root} to {target.name}: {exc.strerror}") from exc
    _sync(root.parent)
    return target


def put_back(moved: Path, root: Path) -> None:
    """Undo :func:`move_aside` (when no fresh queue could be made)."""
    os.rename(moved, root)
    _sync(root.parent)


@dataclass(frozen=True)
class MovedQueue:
    name: str
    path: Path
    moved_at: float  # from its name (UTC)


def moved_aside(qmail_root: Path) -> list[MovedQueue]:
    """The queues a reset moved aside under ``qmail_root``, newest first."""
    found = []
    try:
        names = os.listdir(qmail_root)
    except OSError:
        return []
    for name in names:
        match = MOVED_ASIDE.fullmatch(name)
        path = qmail_root / name
        if match and stat.S_ISDIR(os.lstat(path).st_mode):
            moved = time.strptime(match.group(1), "%Y%m%d-%H%M%S")
            found.append(MovedQueue(name, path, float(_timegm(moved))))
    return sorted(found, key=lambda q: (q.moved_at, q.name), reverse=True)


def _timegm(value: time.struct_time) -> int:
    import calendar

    return calendar.timegm(value)
