"""Changing the queue only while qmail-send is stopped, and starting it again afterwards.

qmail-send keeps the queue's state in memory (which messages are due when, which deliveries
run) and writes retry times back onto the files when it exits, and qmail reuses a message's
number as soon as it is gone: deleting files under a running qmail-send can lose or misdeliver
mail. So every change runs inside :func:`send_stopped`:

1. if the queue is the one the supervised qmail-send serves and that service is up (or
   wants to be), ``svc -d`` it and wait until supervise reports it down;
2. take qmail-send's own lock, an exclusive flock on ``lock/sendmutex``. qmail-send holds it for
   as long as it runs ("alert: cannot start: qmail-send is already running" is what another
   one gets), so taking it proves that no qmail-send, supervised or not, is at work, and
   holding it keeps any from starting meanwhile. If it is held although the service is
   down, a qmail-send runs outside supervise: nothing is changed, and the error says so;
3. run the change;
4. release the lock and, if step 1 stopped the service, ``svc -u`` it: also when the change
   failed half-way.

Steps 1 and 4 are recorded in :attr:`Stopped.events` for the change log.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import services
from ..errors import QmailError
from ..paths import Roots
from .layout import Layout

SERVICE = "qmail-send"


class SendRunning(QmailError):
    """qmail-send runs on this queue and the panel cannot stop it (it is not supervised)."""


class SendDidNotStop(QmailError):
    """svc -d was sent but qmail-send did not stop in time (it waits for deliveries under way)."""


@dataclass
class Event:
    action: str  # "svc -d", "svc -u"
    before: str
    after: str
    failed: str = ""


@dataclass
class Stopped:
    service_was: str  # the service's state before: "up", "down", "not supervised", "other queue", …
    restarted: bool = False  # step 1 stopped it, so step 4 starts it
    events: list[Event] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    start_failed: str = ""  # why step 4 could not start it again
    stop_sent: float | None = None  # when svc -d went out (epoch seconds)
    up_again: float | None = None  # when supervise reported it up again

    @property
    def down_seconds(self) -> float | None:
        """How long qmail-send was kept from working: from svc -d until it was up again."""
        if self.stop_sent is None or self.up_again is None:
            return None
        return self.up_again - self.stop_sent


def serves(roots: Roots, layout: Layout) -> bool:
    """Whether the supervised qmail-send of ``roots`` works on this queue."""
    with contextlib.suppress(OSError):
        return os.path.samefile(roots.queue_dir, layout.root)
    return roots.queue_dir.absolute() == layout.root.absolute()


def lock_holder(path: Path) -> int | None:
    """The pid holding a lock on ``path``, from /proc/locks (None when none or unknown)."""
    try:
        st = os.stat(path, follow_symlinks=False)
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in lines:
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF" ("->" marks a waiter)
        if "->" not in fields and len(fields) >= 6 and fields[5] == inode and fields[4].isdigit():
            return int(fields[4])
    return None


def _lock(path: Path, timeout: float) -> int | None:
    """An fd holding the exclusive flock on ``path``; None when the file is missing."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise QmailError(f"cannot open {path}: {exc.strerror}") from exc
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN) or time.monotonic() >= deadline:
                os.close(fd)
                holder = lock_holder(path)
                who = f"process {holder}" if holder else "another process"
                raise SendRunning(
                    f"qmail-send is running on {path.parent.parent} without being supervised by "
                    f"daemontools ({who} holds {path.name}), so the panel cannot stop it; nothing was "
                    "changed. Stop it the way it was started, then try again."
                ) from None
            time.sleep(0.05)


def _control(roots: Roots, stopped: Stopped, action: services.Action, wait: float) -> None:
    before = services.read_status(roots, SERVICE).summary
    event = Event(f"svc ({action})", before, before)
    stopped.events.append(event)
    try:
        event.action = "svc " + " ".join(services.control(roots, SERVICE, action))
        target = "down" if action is services.Action.DOWN else "up"
        event.after = services.wait_until(roots, SERVICE, target, timeout=wait).summary
    except services.ServiceTimeout as exc:
        event.after, event.failed = exc.status.summary, str(exc)
        raise
    except QmailError as exc:
        event.failed = str(exc)
        raise


@contextlib.contextmanager
def send_stopped(
    layout: Layout, roots: Roots | None, *, timeout: float = 10.0, record: Stopped | None = None
) -> Iterator[Stopped]:
    """Run the body with qmail-send stopped and locked out; start it again afterwards.

    ``roots`` is where the supervised qmail-send lives (None: none is; only the lock counts).
    ``record`` (filled in and yielded) lets a caller see what happened even when this fails.
    """
    supervised = roots if roots is not None and serves(roots, layout) else None
    status = services.read_status(supervised, SERVICE) if supervised is not None else None
    stopped = record or Stopped("")
    stopped.service_was = status.state if status else "other queue"
    try:
        if (
            supervised is not None
            and status is not None
            and status.supervised
            and (status.up or status.want == "up")
        ):
            stopped.restarted = True
            stopped.stop_sent = time.time()
            try:
                _control(supervised, stopped, services.Action.DOWN, timeout)
            except services.ServiceTimeout as exc:
                raise SendDidNotStop(
                    f"qmail-send did not stop within {timeout:g} s (it waits for the deliveries under way); "
                    "it was started again and nothing was changed. Try again in a minute."
                ) from exc
        fd = _lock(layout.lock / "sendmutex", timeout=1.0 if stopped.restarted else 0.0)
        if fd is None:
            stopped.notes.append("lock/sendmutex is missing, so no qmail-send can run on this queue.")
        try:
            yield stopped
        finally:
            if fd is not None:
                os.close(fd)  # releases the flock
    finally:
        if supervised is not None and stopped.restarted:
            _start_again(supervised, stopped)


def _start_again(roots: Roots, stopped: Stopped) -> None:
    try:
        _control(roots, stopped, services.Action.UP, 5.0)
        stopped.up_again = time.time()
    except services.ServiceTimeout:
        pass  # supervise has been told; the event says what it reported
    except QmailError as exc:
        stopped.start_failed = f"qmail-send could not be started again: {exc}. Start it with svc -u."
        stopped.notes.append(stopped.start_failed)
