"""Telling a service that keeps restarting from one that has just started.

supervise restarts a child that exits, forever: it forks the run script, records the new
pid, sleeps one second (daemontools 0.76 supervise.c, ``trystart``), and only then reaps
a child that died meanwhile and starts the next. So a run script that exits at once (a
setting it needs is missing, its port is taken) shows in ``supervise/status`` as
"up (pid N) 0 seconds" or "1 seconds", with a new N every second: one read of the status
cannot tell it from a service started a moment ago.

Three signs can, and :func:`watch` looks for them only in a young service (up for less
than :data:`YOUNG` seconds, or down while supervise wants it up):

- the pid supervise calls up is already a zombie: the child exited and waits to be reaped;
- within :data:`WINDOW` seconds the pid changes while supervise still wants it up
  (nobody asked for a restart: the child died);
- it has been down for :data:`STUCK` seconds while supervise wants it up (supervise could
  not even fork, or cannot exec ``run``).

A young service that survives the window, same pid and alive, is simply up. Reading
``/proc/PID/stat`` needs the agent to see the service's processes, as root on the mail
host does; without it the window still catches the loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .paths import Roots
from .services import ServiceStatus, read_status

YOUNG = 2  # seconds: a child older than supervise's one-second pause is out of the loop's reach
WINDOW = 2.5  # seconds to watch a young service: the pause, plus a run script that fails at once
STUCK = 3  # seconds down while wanted up
INTERVAL = 0.1
PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class Watched:
    status: ServiceStatus  # the last status read
    failing: bool
    reason: str  # why it counts as failing, for the page; "" when it does not
    restarts: int  # starts nobody asked for, seen while watching


def _exited(pid: int | None, proc: Path) -> bool:
    """Whether ``pid`` is a zombie (exited, not yet reaped by supervise)."""
    if pid is None:
        return False
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return False  # gone (reaped) or not visible: the pid change will tell
    # "pid (comm) S ..." - comm may hold spaces and parentheses: the state follows the last ")".
    return stat[stat.rfind(")") + 2 : stat.rfind(")") + 3] == "Z"


def _young(status: ServiceStatus) -> bool:
    return status.supervised and status.want == "up" and (not status.up or status.seconds < YOUNG)


def _stuck(status: ServiceStatus) -> bool:
    return status.supervised and status.want == "up" and not status.up and status.seconds >= STUCK


class _Watch:
    def __init__(self, first: ServiceStatus, proc: Path) -> None:
        self.first = self.last = first
        self.proc = proc
        self.restarts = 0
        self.reason = ""
        if _stuck(first):
            self.reason = (
                f"supervise has been trying to start it for {first.seconds} seconds; "
                "it cannot run its run script"
            )
        elif first.up and first.want == "up" and _exited(first.pid, proc):
            self.reason = f"it exited {first.seconds} s after it started; supervise restarts it every second"
        self.open = not self.reason and _young(first)

    def see(self, status: ServiceStatus) -> None:
        before, self.last = self.last, status
        if status.want != "up":  # asked down (or once) meanwhile: what follows is no loop of its own
            self.open = False
            return
        if before.up and status.pid != before.pid:
            self.restarts += 1
        if self.restarts:
            self.reason = (
                f"it exited right after starting and supervise started it again "
                f"({self.restarts} restart{'s' if self.restarts > 1 else ''} within {WINDOW:g} s)"
            )
        elif status.up and _exited(status.pid, self.proc):
            self.reason = f"it exited {status.seconds} s after it started; supervise restarts it every second"
        elif _stuck(status):
            self.reason = f"supervise has been trying to start it for {status.seconds} seconds"
        self.open = not self.reason and _young(status)

    def verdict(self) -> Watched:
        return Watched(self.last, bool(self.reason), self.reason, self.restarts)


def watch(
    roots: Roots,
    names: Iterable[str],
    *,
    window: float = WINDOW,
    proc: Path = PROC,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Watched]:
    """Read each service's status and say whether it is failing, watching the young together.

    Costs nothing for services that are settled (up for seconds, down, not supervised); when
    one is young the answer takes up to ``window`` seconds.
    """
    watches = {name: _Watch(read_status(roots, name), proc) for name in names}
    deadline = time.monotonic() + window
    while any(w.open for w in watches.values()) and time.monotonic() < deadline:
        sleep(INTERVAL)
        for name, w in watches.items():
            if w.open:
                w.see(read_status(roots, name))
    return {name: w.verdict() for name, w in watches.items()}
