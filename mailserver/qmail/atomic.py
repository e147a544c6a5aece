"""Read a file's state and replace it atomically, the way qmail's own files must be written.

qmail programs open their control files at unpredictable moments (qmail-smtpd on
every connection, qmail-remote on every delivery), so a reader must only ever see
the old file or the new one: we write a temp file in the same directory, fsync it,
rename() it over the target and fsync the directory so the rename survives a crash.

Callers that showed the admin a file pass the sha256 they read (``expect_sha256``);
if the file changed meanwhile (a hand edit, another job) we raise Conflict and
write nothing instead of silently overwriting someone's work.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .errors import Conflict, FieldError, InvalidValue
from .serverfile import MAX_SIZE, read_regular

__all__ = [
    "ANY",
    "MAX_SIZE",
    "MISSING",
    "Expect",
    "FileState",
    "expectation",
    "read_state",
    "remove",
    "remove_stale_temps",
    "sha256_hex",
    "still_as_seen",
    "temp_path",
    "write_atomic",
]

# Dot name: svscan ignores dot entries and nothing in qmail globs control/.
_TEMP = re.compile(r"\.(?P<target>.+)\.tmp-(?P<pid>[0-9]{1,10})-[0-9a-f]{8}")


class _Any:
    """Type of ANY; a class so mypy can tell it apart from str and None."""

    def __repr__(self) -> str:
        return "ANY"


ANY: Final = _Any()
# A hex digest = "must still be exactly this", None = "must still be absent", ANY = don't check.
Expect = str | None | _Any


@dataclass(frozen=True)
class FileState:
    exists: bool
    content: bytes
    sha256: str | None  # None when the file is missing
    mode: int | None  # permission bits only (st_mode & 0o7777)
    uid: int | None
    gid: int | None
    mtime: float | None


MISSING: Final = FileState(False, b"", None, None, None, None, None)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_state(path: Path | str, *, limit: int = MAX_SIZE) -> FileState:
    """The file as it is now; MISSING when there is none.

    Only a regular file is read, never through a symbolic link: a link, fifo or
    device (which an unprivileged user could put in a directory it owns) raises
    UnreadableFile, as does a file larger than ``limit`` bytes (see serverfile).
    """
    try:
        content, st = read_regular(path, limit=limit)
    except FileNotFoundError:
        return MISSING
    return FileState(
        True, content, sha256_hex(content), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_mtime
    )


def expectation(item: Mapping[str, object], field: str) -> Expect:
    """The "expect" of a payload item: what the caller saw of a file (absent key: ANY).

    Only a hex digest or null is taken; anything else is refused beside ``field``.
    """
    if "expect" not in item:
        return ANY  # the caller does not know the file
    expect = item["expect"]
    if expect is not None and not (isinstance(expect, str) and re.fullmatch(r"[0-9a-fA-F]{64}", expect)):
        raise FieldError(field, "expect must be a sha256 or null")
    return expect


def still_as_seen(current: FileState, expect: Expect) -> bool:
    """Whether ``current`` is what the caller saw: the check every write makes."""
    if isinstance(expect, _Any):
        return True
    if expect is None:
        return not current.exists
    return current.sha256 == expect.lower()


def _check_expected(path: Path, expect: Expect) -> FileState:
    current = read_state(path)
    if isinstance(expect, _Any):
        return current
    if expect is None:
        if current.exists:
            raise Conflict(f"{path.name} was created on the server since this page showed it.")
    elif current.sha256 != expect.lower():
        what = "changed" if current.exists else "removed"
        raise Conflict(f"{path.name} was {what} on the server since this page showed it.")
    return current


def _refuse_symlink(path: Path) -> None:
    # rename() would replace the link itself and silently cut it from its target,
    # which is a hand-made arrangement the panel should not undo.
    if path.is_symlink():
        raise Conflict(f"{path.name} is a symbolic link; change it by hand on the server.")


def temp_path(path: Path) -> Path:
    """Where a new version of ``path`` is written before the rename (see remove_stale_temps)."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_atomic(
    path: Path | str,
    data: bytes,
    *,
    expect_sha256: Expect = ANY,
    default_mode: int = 0o644,
    default_owner: tuple[int, int] | None = None,
) -> FileState:
    """Replace ``path`` with ``data``; an existing file keeps its owner and mode.

    A new file gets ``default_mode`` and ``default_owner`` (uid, gid; None = ours).
    On any failure before the rename the old file is untouched and no temp file is left.
    """
    path = Path(path)
    if len(data) > MAX_SIZE:
        raise InvalidValue(
            f"{path.name} would be {len(data)} bytes; the panel writes files of at most "
            f"{MAX_SIZE} bytes (1 MiB)."
        )
    _refuse_symlink(path)
    current = _check_expected(path, expect_sha256)
    mode, owner = default_mode, default_owner
    if current.mode is not None and current.uid is not None and current.gid is not None:
        mode, owner = current.mode, (current.uid, current.gid)

    tmp = temp_path(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    renamed = False
    try:
        try:
            _write_all(fd, data)
            if owner is not None:
                os.fchown(fd, *owner)
            os.fchmod(fd, mode)  # after fchown, which clears setuid/setgid bits
            os.fsync(fd)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        # Second look just before the rename narrows the window for a concurrent hand edit.
        _check_expected(path, expect_sha256)
        os.rename(tmp, path)
        renamed = True
        _fsync_dir(path.parent)
    except BaseException:
        if not renamed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    return FileState(
        True, data, sha256_hex(data), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_mtime
    )


def remove(path: Path | str, *, expect_sha256: Expect = ANY) -> FileState:
    """Delete ``path`` (for control files where "missing" means "use the default").

    Returns the state the file had; removing a missing file is a no-op unless the
    caller expected particular content.
    """
    path = Path(path)
    _refuse_symlink(path)
    current = _check_expected(path, expect_sha256)
    if not current.exists:
        return current
    with contextlib.suppress(FileNotFoundError):  # gone meanwhile: the outcome asked for
        os.unlink(path)
    _fsync_dir(path.parent)
    return current


def _alive(pid: int) -> bool:
    if pid <= 0 or pid == os.getpid():  # 0 would signal our own process group
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale_temps(directory: Path | str, *, prefix: str = "") -> list[str]:
    """Delete the temp files of writes that never finished (a killed agent); returns their names.

    Only regular files named as :func:`temp_path` names them (for a target whose name
    starts with ``prefix``) are removed, and only when the process in the name is gone.
    Call it when this process is not writing (at start): a file naming this very pid
    is then left from an earlier process that had it.
    """
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return []
    removed: list[str] = []
    try:
        for entry in os.scandir(fd):
            match = _TEMP.fullmatch(entry.name)
            if match is None or not match["target"].startswith(prefix) or _alive(int(match["pid"])):
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            with contextlib.suppress(FileNotFoundError):  # another cleaner was first
                os.unlink(entry.name, dir_fd=fd)
                removed.append(entry.name)
        if removed:
            os.fsync(fd)
    finally:
        os.close(fd)
    return removed
