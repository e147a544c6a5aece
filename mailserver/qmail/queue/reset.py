"""Resetting the queue: the guide's seven steps, done in order and reported one by one.

The guide ("Resetting Queue") has the admin ``cd /var/qmail``, stop the SMTP service, stop
qmail-send, ``mv queue queue.bad``, reinstall qmail to get a fresh queue, and start both again.
Here:

1. find the queue: its directory, its conf-split and the accounts that own it;
2. stop qmail-smtpd (and qmail-submission: it feeds the same queue) if it runs;
3. stop qmail-send, and hold its lock (:mod:`.sendlock`);
4. move the queue to ``queue.bad-YYYYmmdd-HHMMSS`` beside it: it is never deleted, so mail
   caught in it can be looked at or recovered later;
5. create a fresh queue exactly as qmail's install does (:mod:`.install`); if that fails, the
   old queue is put back;
6. start the SMTP services step 2 stopped;
7. start qmail-send if step 3 stopped it.

Steps 6 and 7 also run when a step before them failed. A service that was not running is
left as it was, and its steps say so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from .. import services
from ..errors import QmailError
from ..paths import Roots
from . import index as cached
from . import install
from .layout import discover
from .sendlock import Stopped, send_stopped

TITLES: Final = (
    "Find the queue",
    "Stop qmail-smtpd",
    "Stop qmail-send",
    "Move the queue aside",
    "Create a fresh queue",
    "Start qmail-smtpd",
    "Start qmail-send",
)
SMTP_SERVICES: Final = ("qmail-smtpd", "qmail-submission")


@dataclass
class Step:
    number: int
    title: str
    status: str = "not run"  # "done", "skipped" (nothing to do), "failed", "not run"
    detail: str = ""
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("number", "title", "status", "detail", "seconds")}


@dataclass
class Reset:
    steps: list[Step] = field(default_factory=lambda: [Step(n, t) for n, t in enumerate(TITLES, 1)])
    moved_to: Path | None = None
    # (service, "svc -d", status before, status after), in the order they happened
    service_events: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.status in ("done", "skipped") for step in self.steps)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "steps": [step.as_json() for step in self.steps],
            "moved_to": self.moved_to.name if self.moved_to else None,
        }


class _Run:
    def __init__(self, report: Reset, on_step: Callable[[Step], None] | None) -> None:
        self.report, self.on_step = report, on_step

    def step(self, number: int, action: Callable[[], tuple[str, str]]) -> None:
        """Run step ``number``: ``action`` returns (status, detail); an error fails it and is raised."""
        step = self.report.steps[number - 1]
        started = time.monotonic()
        try:
            step.status, step.detail = action()
        except QmailError as exc:
            step.status, step.detail = "failed", str(exc)
            raise
        finally:
            step.seconds = round(time.monotonic() - started, 3)
            if self.on_step:
                self.on_step(step)


def _stop_smtp(roots: Roots, wait: float, report: Reset) -> tuple[list[str], str]:
    stopped, notes = [], []
    for name in SMTP_SERVICES:
        status = services.read_status(roots, name)
        if not (status.supervised and (status.up or status.want == "up")):
            if name == "qmail-smtpd":
                notes.append(f"{name} was not running ({status.state})")
            continue
        flags = services.control(roots, name, services.Action.DOWN)
        stopped.append(name)
        try:
            after = services.wait_until(roots, name, "down", timeout=wait)
        except services.ServiceTimeout as exc:
            report.service_events.append((name, f"svc {' '.join(flags)}", status.summary, exc.status.summary))
            raise QmailError(f"{name} did not stop within {wait:g} s") from exc
        report.service_events.append((name, f"svc {' '.join(flags)}", status.summary, after.summary))
        notes.append(f"{name} stopped")
    return stopped, "; ".join(notes)


def _start_smtp(roots: Roots, names: list[str], report: Reset) -> tuple[str, str]:
    if not names:
        return "skipped", "qmail-smtpd was not running before the reset, so it is left down"
    notes = []
    for name in names:
        before = services.read_status(roots, name)
        flags = services.control(roots, name, services.Action.UP)
        try:
            after = services.wait_until(roots, name, "up", timeout=5.0).summary
        except services.ServiceTimeout as exc:
            after = exc.status.summary
        report.service_events.append((name, f"svc {' '.join(flags)}", before.summary, after))
        notes.append(f"{name}: {after}")
    return "done", "; ".join(notes)


def _send_events(report: Reset, stopped: Stopped) -> None:
    """qmail-send's svc events not in the report yet, appended in the order they happened."""
    seen = sum(1 for event in report.service_events if event[0] == "qmail-send")
    for event in stopped.events[seen:]:
        report.service_events.append(("qmail-send", event.action, event.before, event.after))


def _send_steps(stopped: Stopped) -> tuple[tuple[str, str], tuple[str, str]]:
    """Steps 3 and 7 as :func:`send_stopped` did them."""
    if not stopped.restarted:
        why = f"qmail-send was not running ({stopped.service_was})"
        return ("skipped", why), ("skipped", f"{why} before the reset, so it is left down")
    down, *up = stopped.events
    stop = ("failed" if down.failed else "done", down.failed or f"{down.action}: {down.after}")
    if stopped.start_failed:
        return stop, ("failed", stopped.start_failed)
    if not up:
        return stop, ("not run", "")
    return stop, ("failed" if up[0].failed else "done", up[0].failed or f"{up[0].action}: {up[0].after}")


def reset(
    roots: Roots, *, wait: float, now: float | None = None, on_step: Callable[[Step], None] | None = None
) -> Reset:
    """Do the seven steps on the queue of ``roots``; the report says how each went."""
    report = Reset()
    run = _Run(report, on_step)
    root = roots.queue_dir
    found: dict[str, Any] = {}

    def find() -> tuple[str, str]:
        if root.is_symlink() or not root.is_dir():
            raise QmailError(f"{root} is not a directory; a reset only moves a real queue aside")
        layout = found["layout"] = discover(root)
        owners = found["owners"] = install.Owners.for_queue(layout)
        return "done", (
            f"{root}: conf-split {layout.split}; qmailq {owners.qmailq}, qmails {owners.qmails}, "
            f"qmailr {owners.qmailr}, group qmail {owners.qmail}"
        )

    smtp_stopped: list[str] = []
    try:
        run.step(1, find)

        def stop_smtp() -> tuple[str, str]:
            names, detail = _stop_smtp(roots, wait, report)
            smtp_stopped.extend(names)
            return ("done" if names else "skipped"), detail

        run.step(2, stop_smtp)
        layout = found["layout"]
        stopped = Stopped("")
        try:
            with send_stopped(layout, roots, timeout=wait, record=stopped):
                _send_events(report, stopped)
                run.step(3, lambda: _send_steps(stopped)[0])

                def move() -> tuple[str, str]:
                    report.moved_to = install.move_aside(root, now)
                    cached.forget(root)
                    return "done", f"{root.name} is now {report.moved_to.name}"

                run.step(4, move)

                def create() -> tuple[str, str]:
                    try:
                        install.create_queue(root, layout.split, found["owners"])
                    except QmailError:
                        assert report.moved_to is not None
                        install.put_back(report.moved_to, root)
                        report.moved_to = None
                        raise QmailError("no fresh queue could be made; the old queue was put back") from None
                    return (
                        "done",
                        f"{root}: {layout.split} split subdirectories, lock/trigger, sendmutex, tcpto",
                    )

                run.step(5, create)
                run.step(6, lambda: _start_smtp(roots, smtp_stopped, report))
                smtp_stopped.clear()
        except QmailError as exc:
            if report.steps[2].status == "not run":  # stopping qmail-send itself failed
                report.steps[2].status, report.steps[2].detail = "failed", str(exc)
            raise
        finally:
            _send_events(report, stopped)
            if report.steps[0].status == "done":
                step7 = _send_steps(stopped)[1]
                report.steps[6].status, report.steps[6].detail = step7
                if on_step:
                    on_step(report.steps[6])
    except QmailError:
        pass  # the failed step says why
    finally:
        if smtp_stopped:  # a step failed after qmail-smtpd was stopped
            step = report.steps[5]
            step.status, step.detail = _start_smtp(roots, smtp_stopped, report)
    return report
