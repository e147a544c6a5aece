"""daemontools services by name: status, control through svc, start-at-boot, waiting.

Status is read straight from ``supervise/status`` and the ``supervise/ok`` fifo
(see :mod:`.supervise_status`); svstat is never run. Control runs
``ROOTS.bin/svc`` with an argument list and a timeout, never a shell.

A service ``NAME`` may have a ``NAME/log`` directory, which svscan supervises on
its own (a second supervise, piped from the first); every function takes
``log=True`` to act on it instead, and reports it as ``"NAME/log"``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from .errors import InvalidValue, QmailError
from .paths import Roots
from .supervise_status import RawStatus, Want, decode_status, read_raw_status, supervise_running

__all__ = [
    "Action",
    "ControlFailed",
    "NotSupervised",
    "RawStatus",
    "ServiceMissing",
    "ServiceStatus",
    "ServiceTimeout",
    "control",
    "decode_status",
    "has_log",
    "log_status",
    "program_installed",
    "read_status",
    "set_start_at_boot",
    "wait_until",
]

SVC_TIMEOUT = 5.0  # svc only writes a few bytes into a fifo; it never waits for the service


class ServiceMissing(QmailError):
    """There is no such service directory."""


class NotSupervised(QmailError):
    """supervise is not running for the service, so svc would do nothing."""


class ControlFailed(QmailError):
    """svc could not be run or complained."""


class ServiceTimeout(QmailError):
    """:func:`wait_until` gave up; ``status`` is the last status read."""

    def __init__(self, message: str, status: ServiceStatus) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    name: str  # "qmail-send" or "qmail-send/log"
    exists: bool  # the service directory is present
    supervised: bool  # a supervise process serves it
    up: bool
    pid: int | None
    seconds: int  # since the last start/stop (0 when unknown)
    since: datetime | None  # aware; None when not supervised
    normally_up: bool  # no ``down`` file: started when supervise starts (at boot)
    want: Want | None  # what supervise is working towards (None after svc -o)
    paused: bool

    @property
    def summary(self) -> str:
        """svstat's wording, without its ``NAME: `` prefix."""
        if not self.exists:
            return "unable to chdir: file does not exist"
        if not self.supervised:
            return "supervise not running"
        if self.up:
            text = f"up (pid {self.pid}) {self.seconds} seconds"
            if not self.normally_up:
                text += ", normally down"
            if self.paused:
                text += ", paused"
            if self.want == "down":
                text += ", want down"
            return text
        text = f"down {self.seconds} seconds"
        if self.normally_up:
            text += ", normally up"
        if self.want == "up":
            text += ", want up"
        return text

    @property
    def state(self) -> str:
        """A one- or two-word state for badges."""
        if not self.exists:
            return "missing"
        if not self.supervised:
            return "not supervised"
        if self.up:
            return "stopping" if self.want == "down" else "up"
        return "starting" if self.want == "up" else "down"


def _directory(roots: Roots, name: str, log: bool) -> tuple[str, Path]:
    directory = roots.service_dir(name)
    return (f"{name}/log", directory / "log") if log else (name, directory)


def read_status(roots: Roots, name: str, now: float | None = None, *, log: bool = False) -> ServiceStatus:
    """The status of service ``name`` (reads ``supervise/status``, opens ``supervise/ok``)."""
    label, directory = _directory(roots, name, log)
    now = time.time() if now is None else now
    exists = directory.is_dir()
    normally_up = exists and not (directory / "down").exists()
    if not exists or not supervise_running(directory):
        return ServiceStatus(
            name=label, exists=exists, supervised=False, up=False, pid=None, seconds=0,
            since=None, normally_up=normally_up, want=None, paused=False,
        )  # fmt: skip
    raw = read_raw_status(directory, now)
    return ServiceStatus(
        name=label,
        exists=True,
        supervised=True,
        up=raw.pid is not None,
        pid=raw.pid,
        seconds=raw.seconds,
        since=raw.since,
        normally_up=normally_up,
        want=raw.want,
        paused=raw.paused,
    )


def has_log(roots: Roots, name: str) -> bool:
    """Whether ``name`` has a ``log/`` service of its own (svscan supervises it when it does)."""
    return (roots.service_dir(name) / "log").is_dir()


def log_status(roots: Roots, name: str, now: float | None = None) -> ServiceStatus | None:
    """The status of ``NAME/log``, or None when the service has no ``log/`` directory."""
    return read_status(roots, name, now, log=True) if has_log(roots, name) else None


class Action(StrEnum):
    UP = "up"
    DOWN = "down"
    RESTART = "restart"
    HUP = "hup"
    ALARM = "alarm"
    ONCE = "once"
    KILL = "kill"


_FLAGS: dict[Action, tuple[str, ...]] = {
    Action.UP: ("-u",),
    Action.DOWN: ("-d",),  # supervise sends TERM then CONT, and won't restart
    Action.HUP: ("-h",),
    Action.ALARM: ("-a",),  # multilog: rotate now; qmail-send: retry the queue now
    Action.ONCE: ("-o",),  # start if down, but don't restart when it exits
    Action.KILL: ("-k",),  # supervise restarts it if it wants it up
}


def _svc_flags(action: Action, status: ServiceStatus) -> tuple[str, ...]:
    if action is not Action.RESTART:
        return _FLAGS[action]
    if not status.up:
        # svc -t only signals a running child; a down service is brought up instead.
        # (Never "-ut" here: supervise sleeps 1 s after a start, then -t would kill it.)
        return ("-u",)
    # -u first so that it comes back even if it was stopping or in "once" mode;
    # -c so that a paused child sees the TERM now rather than when continued.
    return ("-u", "-t", "-c") if status.paused else ("-u", "-t")


def control(
    roots: Roots, name: str, action: Action | str, *, log: bool = False, timeout: float = SVC_TIMEOUT
) -> tuple[str, ...]:
    """Ask supervise to act on ``name``; runs ``ROOTS.bin/svc FLAGS SERVICEDIR``.

    Returns the svc flags used (for the audit record). Does not wait for the
    service to change: follow with :func:`wait_until`.
    """
    try:
        action = Action(action)
    except ValueError:
        raise InvalidValue(f"unknown service action {action!r}") from None
    status = read_status(roots, name, log=log)
    if not status.exists:
        raise ServiceMissing(f"there is no service {status.name!r}")
    if not status.supervised:
        raise NotSupervised(f"supervise is not running for {status.name}; is svscan running?")
    svc = roots.program("svc")
    if not program_installed(svc):
        raise ControlFailed(f"svc is not installed at {svc}")
    flags = _svc_flags(action, status)
    argv = [str(svc), *flags, str(_directory(roots, name, log)[1])]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, env={"PATH": "/usr/bin:/bin"}, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ControlFailed(f"{' '.join(argv)} failed: {exc}") from exc
    # svc 0.76 exits 0 even when it could not control the service: its warnings are the signal.
    if done.returncode != 0 or done.stderr.strip():
        raise ControlFailed(done.stderr.strip() or f"svc exited with status {done.returncode}")
    return flags


def set_start_at_boot(roots: Roots, name: str, enabled: bool, *, log: bool = False) -> bool:
    """Create (disabled) or remove (enabled) ``SERVICEDIR/down``; returns whether it changed.

    supervise reads ``down`` only when it starts, so this changes nothing now, and
    ``svc -u`` still starts a service that has one.
    """
    label, directory = _directory(roots, name, log)
    if not directory.is_dir():
        raise ServiceMissing(f"there is no service {label!r}")
    down = directory / "down"
    try:
        if enabled:
            down.unlink()
        else:
            os.close(os.open(down, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644))
    except (FileNotFoundError, FileExistsError):
        return False
    except OSError as exc:
        raise QmailError(f"cannot {'remove' if enabled else 'create'} {down}: {exc.strerror}") from exc
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return True


_TARGETS: dict[str, Callable[[ServiceStatus], bool]] = {
    # "down" demands a live supervise reporting no child: when supervise is not
    # running nobody can vouch that the daemon is gone.
    "up": lambda s: s.supervised and s.up,
    "down": lambda s: s.supervised and not s.up,
}


def wait_until(
    roots: Roots,
    name: str,
    until: str | Callable[[ServiceStatus], bool],
    timeout: float = 10.0,
    *,
    log: bool = False,
    interval: float = 0.05,
) -> ServiceStatus:
    """Poll the status file until ``until`` ("up", "down" or a predicate) holds.

    Returns the status that satisfied it; raises :class:`ServiceTimeout` otherwise.
    """
    if isinstance(until, str):
        if until not in _TARGETS:
            raise InvalidValue(f"cannot wait for {until!r}: use 'up', 'down' or a predicate")
        predicate = _TARGETS[until]
    else:
        predicate = until
    deadline = time.monotonic() + timeout
    while True:
        status = read_status(roots, name, log=log)
        if predicate(status):
            return status
        if time.monotonic() >= deadline:
            target = until if isinstance(until, str) else "the expected state"
            raise ServiceTimeout(
                f"{status.name} did not reach {target} within {timeout:g} s ({status.summary})", status
            )
        time.sleep(interval)


def program_installed(path: Path) -> bool:
    """Whether ``path`` is an executable file (so a service running it can work at all)."""
    with contextlib.suppress(OSError):
        return path.is_file() and os.access(path, os.X_OK)
    return False
