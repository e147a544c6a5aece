"""Auto-Restart: a service found down although it should be up is started again, and that is recorded.

supervise restarts a process that exits; it does nothing for a service left down, e.g.
stopped with ``svc -d`` by hand or by a script, run once with ``svc -o``, or kept down at
boot by its ``down`` file. A scheduled check (:func:`check`, run by the agent's watchdog
every half minute) does, for each service with Auto-Restart on:

- it should be up when the admin's last Start/Stop/Restart in the panel was a Start or
  Restart, or, if the panel never touched it, when it starts at boot (no ``down`` file);
- found down (supervised, no pid, and supervise is not about to start it) it gets
  ``svc -u``, is watched for a restart loop, and the outcome is recorded;
- found failing (exits at every start; supervise is already retrying) or without a
  supervise, nothing the check can do helps: that is recorded once, for the page to show.

The setting is a file in the service directory, beside daemontools' own ``down``
(``ROOTS.service/NAME/nodeworx-auto-restart``): it travels with the service and is
visible on the server. What the panel was asked to do and what the check did are kept in
the agent's own state directory (:class:`Journal`), as the nonces are.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mailserver.qmail import restarts, services
from mailserver.qmail.errors import QmailError
from mailserver.qmail.paths import Roots

from . import registry

FLAG = "nodeworx-auto-restart"
INTERVAL = 30.0  # seconds between two checks
SETTLE = 5.0  # seconds after a Start/Stop in the panel during which the check leaves the service alone
START_TIMEOUT = 5.0  # supervise sleeps a second after each start; a slow run script a little more
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS intent (service TEXT PRIMARY KEY, want TEXT NOT NULL, at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS event (id INTEGER PRIMARY KEY, service TEXT NOT NULL, at REAL NOT NULL,"
    " found TEXT NOT NULL, action TEXT NOT NULL, result TEXT NOT NULL, ok INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS event_service ON event (service, at)",
    "CREATE TABLE IF NOT EXISTS heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at REAL NOT NULL,"
    " checked INTEGER NOT NULL)",
)
KEEP_EVENTS = 200  # per service


def enabled(roots: Roots, name: str) -> bool:
    return (roots.service_dir(name) / FLAG).is_file()


def set_enabled(roots: Roots, name: str, on: bool) -> bool:
    """Turn Auto-Restart on or off for ``name``; returns whether anything changed."""
    directory = roots.service_dir(registry.get(name).name)
    if not directory.is_dir():
        raise services.ServiceMissing(f"there is no service {name!r}")
    flag = directory / FLAG
    if on == flag.is_file():
        return False
    if on:
        fd = os.open(flag, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        os.write(fd, b"The control panel restarts this service when it finds it down (Auto-Restart).\n")
        os.close(fd)
    else:
        flag.unlink()
    return True


@dataclass(frozen=True)
class Event:
    service: str
    at: float
    found: str  # the status it was found in, svstat's words
    action: str  # "svc -u", or "none"
    result: str  # what came of it, for the page
    ok: bool  # the service is up again thanks to the check


class Journal:
    """The agent's record of the admin's intent per service, the checks' events and their heartbeat."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = directory / "autorestart.sqlite3"
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600))
        self._db = sqlite3.connect(path, timeout=10, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def close(self) -> None:
        self._db.close()

    def record_intent(self, service: str, want: str, at: float | None = None) -> None:
        """What the admin asked the panel for: "up" (Start, Restart) or "down" (Stop)."""
        self._db.execute(
            "INSERT INTO intent VALUES (?, ?, ?) ON CONFLICT(service) DO UPDATE SET want = excluded.want,"
            " at = excluded.at",
            (service, want, time.time() if at is None else at),
        )

    def intent(self, service: str) -> str | None:
        found = self.intent_at(service)
        return found[0] if found else None

    def intent_at(self, service: str) -> tuple[str, float] | None:
        row = self._db.execute("SELECT want, at FROM intent WHERE service = ?", (service,)).fetchone()
        return (row[0], float(row[1])) if row else None

    def record(self, event: Event) -> None:
        self._db.execute(
            "INSERT INTO event (service, at, found, action, result, ok) VALUES (?, ?, ?, ?, ?, ?)",
            (event.service, event.at, event.found, event.action, event.result, int(event.ok)),
        )
        self._db.execute(
            "DELETE FROM event WHERE service = ? AND id NOT IN"
            " (SELECT id FROM event WHERE service = ? ORDER BY at DESC LIMIT ?)",
            (event.service, event.service, KEEP_EVENTS),
        )

    def events(self, service: str, limit: int = 10) -> list[Event]:
        rows = self._db.execute(
            "SELECT service, at, found, action, result, ok FROM event WHERE service = ?"
            " ORDER BY at DESC, id DESC LIMIT ?",
            (service, limit),
        ).fetchall()
        return [Event(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]

    def last_restart(self, service: str) -> Event | None:
        """When the check last had to start the service and got it up."""
        row = self._db.execute(
            "SELECT service, at, found, action, result, ok FROM event WHERE service = ? AND ok = 1"
            " ORDER BY at DESC, id DESC LIMIT 1",
            (service,),
        ).fetchone()
        return Event(row[0], row[1], row[2], row[3], row[4], bool(row[5])) if row else None

    def beat(self, checked: int, at: float | None = None) -> None:
        self._db.execute(
            "INSERT INTO heartbeat VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET at = excluded.at,"
            " checked = excluded.checked",
            (time.time() if at is None else at, checked),
        )

    def last_beat(self) -> float | None:
        row = self._db.execute("SELECT at FROM heartbeat WHERE id = 1").fetchone()
        return float(row[0]) if row else None


def should_be_up(status: services.ServiceStatus, intent: str | None) -> bool:
    if intent is not None:
        return intent == "up"
    return status.normally_up


def _noted(journal: Journal, service: str, result: str, since: float | None) -> bool:
    """Whether the same outcome was already recorded for this episode (no log spam every 30 s)."""
    last = journal.events(service, 1)
    return bool(last) and last[0].result == result and (since is None or last[0].at >= since)


def check_service(roots: Roots, journal: Journal, name: str, *, now: float | None = None) -> Event | None:
    """One look at service ``name`` (Auto-Restart on); returns the event recorded, if any."""
    now = time.time() if now is None else now
    if registry.get(name).missing(roots):
        return None  # not installed: starting it would only make supervise loop
    intent = journal.intent_at(name)
    if intent is not None and now - intent[1] < SETTLE:
        return None  # the admin just started or stopped it: what the check would see is that action
    watched = restarts.watch(roots, [name])[name]
    status = watched.status
    if not should_be_up(status, intent[0] if intent else None):
        return None
    since = status.since.timestamp() if status.since else None
    if not status.exists or not status.supervised:
        result = "supervise is not running for it (is svscan running?): the check cannot start it"
        if _noted(journal, name, result, None):
            return None
        event = Event(name, now, status.summary, "none", result, False)
    elif watched.failing:
        result = f"failing: {watched.reason}; supervise keeps restarting it, so the check leaves it"
        if _noted(journal, name, result, since):
            return None
        event = Event(name, now, status.summary, "none", result, False)
    elif status.up or status.want == "up":
        return None  # running, or supervise is about to start it
    else:
        event = _start(roots, name, status, now)
    journal.record(event)
    return event


def _start(roots: Roots, name: str, found: services.ServiceStatus, now: float) -> Event:
    try:
        services.control(roots, name, services.Action.UP)
    except QmailError as exc:
        return Event(name, now, found.summary, "svc -u", f"could not run svc: {exc}", False)
    try:
        services.wait_until(roots, name, "up", START_TIMEOUT)
    except services.ServiceTimeout as exc:
        return Event(name, now, found.summary, "svc -u", f"still not up: {exc.status.summary}", False)
    after = restarts.watch(roots, [name])[name]
    if after.failing:
        return Event(name, now, found.summary, "svc -u", f"started, but failing: {after.reason}", False)
    return Event(name, now, found.summary, "svc -u", f"started: {after.status.summary}", True)


def check(roots: Roots, journal: Journal, names: Iterable[str] | None = None) -> list[Event]:
    """One pass over the services with Auto-Restart on; records its heartbeat."""
    events = []
    checked = 0
    for name in registry.NAMES if names is None else names:
        if not enabled(roots, name):
            continue
        checked += 1
        event = check_service(roots, journal, name)
        if event is not None:
            events.append(event)
    journal.beat(checked)
    return events
