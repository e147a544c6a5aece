"""Opening the mail server's files for reading: regular files only, never through a link, bounded.

Much of what the root agent reads sits in directories less privileged users own
(multilog's directory belongs to qmaill, ``~alias`` to alias). Such a user can
put a fifo there (an open() for reading would block until someone writes), a
device (a read of /dev/zero never ends, opening a tape rewinds it), or a
symbolic link to a file only root may read (the agent would show its lines to
the panel). So every reader goes through :func:`open_regular`: lstat first so
that nothing but a regular file is even opened, then open with O_NOFOLLOW (a
link swapped in meanwhile fails) and O_NONBLOCK (a fifo swapped in meanwhile
does not hang the open), and fstat the descriptor so what is read is what was
checked. A link is reported with its target, for the page to show as such.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from pathlib import Path
from typing import Final

from .errors import UnreadableFile

__all__ = ["MAX_SIZE", "open_regular", "read_fd", "read_optional", "read_regular"]

# One limit for every file the panel reads or writes on the server: control files,
# run scripts and .qmail files are far smaller, and a page must stay fast.
MAX_SIZE: Final = 1 << 20

_FLAGS: Final = os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY | os.O_NOFOLLOW | os.O_NONBLOCK


def _link(path: Path | str, dir_fd: int | None, shown: Path | str) -> UnreadableFile:
    try:
        target = os.readlink(path, dir_fd=dir_fd)
    except OSError:
        target = "?"
    return UnreadableFile(
        f"{shown} is a symbolic link to {target}; the panel neither reads nor writes through links. "
        "Change it by hand on the server.",
        reason="link",
        target=target,
    )


def _special(path: Path | str) -> UnreadableFile:
    return UnreadableFile(
        f"{path} is not a regular file (a fifo, device or directory); it cannot be read.", reason="special"
    )


def open_regular(
    path: Path | str, *, dir_fd: int | None = None, shown: Path | str | None = None
) -> tuple[int, os.stat_result]:
    """A blocking read-only descriptor on the regular file ``path``, and its fstat.

    Raises FileNotFoundError when there is nothing at ``path`` and UnreadableFile
    for a link or anything that is not a regular file (its message names ``shown``,
    by default ``path``). The caller closes the fd.
    """
    shown = path if shown is None else shown
    # lstat first, so that a device is never even opened (opening some has effects).
    st = os.stat(path, dir_fd=dir_fd, follow_symlinks=False)
    if stat.S_ISLNK(st.st_mode):
        raise _link(path, dir_fd, shown)
    if not stat.S_ISREG(st.st_mode):
        raise _special(shown)
    try:
        fd = os.open(path, _FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # became a link since the lstat
            raise _link(path, dir_fd, shown) from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _special(shown)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def read_fd(fd: int, path: Path | str, limit: int = MAX_SIZE) -> bytes:
    """All of ``fd`` from its current offset; UnreadableFile past ``limit`` bytes."""
    chunks, size = [], 0
    while chunk := os.read(fd, min(1 << 16, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise UnreadableFile(
                f"{path} is larger than {limit} bytes; it is not a file the panel reads.", reason="too_large"
            )
    return b"".join(chunks)


def read_regular(
    path: Path | str, *, limit: int = MAX_SIZE, dir_fd: int | None = None
) -> tuple[bytes, os.stat_result]:
    """The content of the regular file ``path`` and the fstat of the very inode read."""
    fd, st = open_regular(path, dir_fd=dir_fd)
    try:
        return read_fd(fd, path, limit), st
    finally:
        os.close(fd)


def read_optional(path: Path | str, *, limit: int = MAX_SIZE) -> bytes | None:
    """The content of ``path``, or None when it does not exist."""
    try:
        return read_regular(path, limit=limit)[0]
    except FileNotFoundError:
        return None
