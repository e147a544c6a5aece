"""How every write operation changes the server: under one lock, whole or not at all, recorded.

An operation plans its files (:class:`FilePlan`), each with what the admin saw of it;
:meth:`FilePlan.apply` writes them in order and, if any write fails or finds its
file changed meanwhile, puts back the ones already written, so a save applies whole
or leaves the old state. The records it returns are what the change log stores.

Touches only the paths an operation adds to its plan, plus the lock file
ROOTS.qmail/.nodeworx-agent.lock (outside every directory svscan or qmail scans).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mailserver.protocol import ChangeRecord
from mailserver.qmail import atomic
from mailserver.qmail.errors import Conflict, QmailError

from .celeryapp import settings

LOCK_NAME = ".nodeworx-agent.lock"


class HandEdited(Conflict):
    """A file the admin has not confirmed replacing: its content is not what the panel writes."""

    kind = "hand_edit"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@contextlib.contextmanager
def serialised() -> Iterator[None]:
    """Hold the agent's write lock, so two worker processes cannot both pass the sha256 check
    and lose one of two changes."""
    path = settings.roots.qmail / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        # Bounded, so the panel hears "busy" before its own call times out.
        deadline = time.monotonic() + settings.timeout / 2
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise QmailError(
                        "Another change to this mail server is still being saved; nothing was changed. "
                        "Try again in a moment."
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def changed_meanwhile(target: str) -> str:
    """The refusal of a save whose file is not what the page showed, in the words the pages use
    (mailserver/core/sections/flow.py CHANGED_MEANWHILE); atomic's own sentence ("…; reload it.")
    would say it a second time."""
    return (
        f"Not saved: {target} changed on the server since this page showed it (it was edited elsewhere, "
        "or the page came from the browser's history)."
    )


def text(data: bytes | None) -> str:
    return "" if data is None else data.decode("utf-8", "replace")


@dataclass(frozen=True)
class _Step:
    target: str  # as the change log names it: "control/databytes", "service qmail-smtpd/run"
    path: Path
    data: bytes | None  # None removes the file
    expect: atomic.Expect
    mode: int


@dataclass
class FilePlan:
    steps: list[_Step] = field(default_factory=list)

    def add(
        self,
        target: str,
        path: Path,
        data: bytes | None,
        expect: atomic.Expect = atomic.ANY,
        mode: int = 0o644,
    ) -> None:
        self.steps.append(_Step(target, path, data, expect, mode))

    def apply(self) -> list[ChangeRecord]:
        """Write every step (under :func:`serialised`); on any failure undo the ones written.

        A file that already holds exactly the new content is left alone: rewriting would
        only bump its mtime and flag a restart for nothing. What the admin saw must still
        hold for it all the same.
        """
        done: list[tuple[Path, atomic.FileState]] = []
        records: list[ChangeRecord] = []
        step: _Step | None = None
        try:
            for step in self.steps:
                before = atomic.read_state(step.path)
                if before.content == (step.data or b"") and before.exists == (step.data is not None):
                    if not atomic.still_as_seen(before, step.expect):
                        raise Conflict(changed_meanwhile(step.target))
                    continue
                if step.data is None:
                    atomic.remove(step.path, expect_sha256=step.expect)
                else:
                    atomic.write_atomic(
                        step.path, step.data, expect_sha256=step.expect, default_mode=step.mode
                    )
                done.append((step.path, before))
                records.append(
                    {
                        "target": step.target,
                        "action": "remove" if step.data is None else "write",
                        "before": text(before.content if before.exists else None),
                        "after": text(step.data),
                    }
                )
        except Conflict:
            undo(done)
            if step is None or step.path.is_symlink():
                raise  # atomic's own refusal, with its own reason
            # Said once, and nothing about what to do next: the box says that beside each field.
            raise Conflict(changed_meanwhile(step.target)) from None
        except BaseException:
            undo(done)
            raise
        return records


def undo(done: list[tuple[Path, atomic.FileState]]) -> None:
    """Put back what ``done`` lists, newest first: a removed file with the mode and owner it had."""
    for path, before in reversed(done):
        with contextlib.suppress(OSError, QmailError):
            if before.exists:
                owner = None if before.uid is None or before.gid is None else (before.uid, before.gid)
                mode = 0o644 if before.mode is None else before.mode
                atomic.write_atomic(path, before.content, default_mode=mode, default_owner=owner)
            else:
                atomic.remove(path)
