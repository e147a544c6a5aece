"""Real qmail queues for the tests: the captured snapshot, fresh copies of it, and a way to see
that an operation changed nothing (or exactly what it should)."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mailserver.demo.builder import DATA
from mailserver.qmail.paths import Roots

SNAPSHOT = DATA / "queue-snapshot.tar"
# 2026-11-25 13:38:22 UTC, when the snapshot, qmail-qstat.txt and qmail-qread.txt were taken.
SNAPSHOT_NOW = 1795613902
QSTAT = (DATA / "qmail-qstat.txt").read_text()
QREAD = (DATA / "qmail-qread.txt").read_text()
# The accounts of the captured host (queue-layout.md): qmailq, qmails, qmailr, group qmail.
QMAILQ, QMAILS, QMAILR, QMAIL = 1005, 1007, 1006, 1002


def extract_snapshot(parent: Path) -> Path:
    """The snapshot's ``queue/`` extracted under ``parent`` (owners kept as numbers); returns it."""
    with tarfile.open(SNAPSHOT) as tar:
        options = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
        tar.extractall(parent, numeric_owner=True, **options)  # noqa: S202 (our own data)
    return parent / "queue"


@contextmanager
def snapshot_queue(roots: Roots) -> Iterator[Roots]:
    """The snapshot as the test server's queue, put back afterwards (a test may change the queue)."""
    fresh_snapshot_queue(roots)
    try:
        yield roots
    finally:
        fresh_snapshot_queue(roots)


def fresh_snapshot_queue(roots: Roots) -> Path:
    """Put the snapshot back as the test server's queue, and remove queues a reset moved aside."""
    for old in roots.qmail.glob("queue.bad-*"):
        shutil.rmtree(old)
    for temp in roots.qmail.glob(".queue.new-*"):
        shutil.rmtree(temp)
    if roots.queue_dir.exists() or roots.queue_dir.is_symlink():
        _make_removable(roots.queue_dir)
        shutil.rmtree(roots.queue_dir)
    return extract_snapshot(roots.qmail)


def _make_removable(root: Path) -> None:
    for directory, _, _ in os.walk(root):
        os.chmod(directory, 0o700)


def tree(root: Path) -> dict[str, tuple[int, int, int, int, int, str]]:
    """Every entry under ``root``: mode, uid, gid, size, mtime (ns) and a hash of its content."""
    found = {}
    for directory, names, files in os.walk(root):
        for name in [*names, *files]:
            path = Path(directory, name)
            st = os.lstat(path)
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if stat.S_ISREG(st.st_mode) else ""
            found[str(path.relative_to(root))] = (
                st.st_mode,
                st.st_uid,
                st.st_gid,
                st.st_size,
                st.st_mtime_ns,
                digest,
            )
    return found


def pattern(root: Path) -> dict[str, tuple[str, int, int, int]]:
    """The queue's directories and lock files as qmail's install makes them: type, mode, owner, group.

    Message files are left out; the split subdirectories are named by their number.
    """
    found = {}
    for directory, names, files in os.walk(root):
        rel_dir = Path(directory).relative_to(root)
        if rel_dir.parts and rel_dir.parts[0] not in ("lock",) and files:
            files = []
        for name in [*names, *files]:
            path = Path(directory, name)
            st = os.lstat(path)
            kind = "dir" if stat.S_ISDIR(st.st_mode) else "fifo" if stat.S_ISFIFO(st.st_mode) else "file"
            found[str(path.relative_to(root))] = (kind, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
    st = os.lstat(root)
    found["."] = ("dir", stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
    return found


def qread_blocks(text: str) -> list[str]:
    """qmail-qread output cut into one block per message (its header line and recipient lines)."""
    found: list[list[str]] = []
    for line in text.splitlines(keepends=True):
        if line.startswith(("\t", "  done\t")):
            found[-1].append(line)
        else:
            found.append([line])
    return sorted("".join(block) for block in found)
