"""What the MDA, Spam and Virus operations share: files as seen, Auto-Restart, versions, restarts.

Touches nothing by itself: reads the files it is given, the agent's Auto-Restart journal
(in NODEWORX_AGENT_STATE) and ``dpkg-query``'s answer; :func:`restart_if_up` runs svc and
records what the new process started with (:mod:`mailserver.agent.start_record`).
"""

from __future__ import annotations

import functools
import subprocess
import threading
import time
from pathlib import Path
from typing import TypeVar, cast

from mailserver.protocol.mda import AutoRestart, AutoRestartEvent, FileSeen
from mailserver.qmail import atomic, services
from mailserver.qmail.environment import env_float
from mailserver.qmail.errors import UnreadableFile
from mailserver.services import autorestart

from . import start_record
from .celeryapp import settings

_journals = threading.local()
Answer = TypeVar("Answer")
RESTART_TIMEOUT = 8.0  # spamd needs about 2 s to read its rules before it answers


def journal() -> autorestart.Journal:
    """The Auto-Restart journal, opened once per thread and state directory.

    A worker runs its tasks in one thread, but SQLite refuses a connection used from a thread other
    than its own: the agent's operations run in process from two threads (a page test's and the live
    server's) must each have theirs.
    """
    opened: dict[Path, autorestart.Journal] = _journals.__dict__.setdefault("by_dir", {})
    if settings.state_dir not in opened:
        opened[settings.state_dir] = autorestart.Journal(settings.state_dir)
    return opened[settings.state_dir]


def note_intent(name: str, action: str) -> None:
    """Remember what the admin asked for (Start/Restart: up, Stop: down), for the Auto-Restart check."""
    journal().record_intent(name, "down" if action == "down" else "up")


def file_seen(path: Path) -> FileSeen:
    try:
        state = atomic.read_state(path)
    except UnreadableFile:
        return {"path": str(path), "exists": True, "sha256": None, "mtime": None}
    return {"path": str(path), "exists": state.exists, "sha256": state.sha256, "mtime": state.mtime}


def answer_of(record: object | None, shape: type[Answer]) -> Answer | None:
    """The fields of ``record`` (a library dataclass) that the answer's TypedDict ``shape`` names,
    and no others: what the library knows beyond the protocol stays in the agent. None stays None."""
    if record is None:
        return None
    return cast(Answer, {key: getattr(record, key) for key in shape.__annotations__})


def auto_restart(name: str) -> AutoRestart:
    book = journal()
    beat = book.last_beat()
    interval = env_float("NODEWORX_WATCH_INTERVAL", autorestart.INTERVAL)
    last = book.events(name, 1)
    return {
        "enabled": autorestart.enabled(settings.roots, name),
        "intent": book.intent(name),
        "last_restart": answer_of(book.last_restart(name), AutoRestartEvent),
        "last_event": answer_of(last[0] if last else None, AutoRestartEvent),
        "checked_at": beat,
        "watchdog_running": beat is not None and time.time() - beat < 3 * interval + 5,
    }


@functools.lru_cache(maxsize=8)
def package_version(package: str) -> str:
    """Debian's version of ``package`` ("not installed" when dpkg has none); once per process."""
    try:
        done = subprocess.run(
            ["/usr/bin/dpkg-query", "-W", "-f=${Status}|${Version}", package],
            capture_output=True, text=True, timeout=5, check=False, env={"PATH": "/usr/bin:/bin"},
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    status, _, version = done.stdout.partition("|")
    return version if "install ok installed" in status and version else "not installed"


def restart_if_up(name: str) -> dict[str, object]:
    """``svc -t`` when the service runs, and wait for its new process; a stopped one stays stopped.

    Returns {"restarted": bool, "status": svstat's words, "note": what the page says}.
    """
    roots = settings.roots
    before = services.read_status(roots, name)
    if not before.supervised or not before.up:
        return {
            "restarted": False,
            "status": before.summary,
            "note": f"{name} is not running: the change takes effect when it starts.",
        }
    reads = start_record.reads_now(name)
    services.control(roots, name, services.Action.RESTART)
    try:
        after = services.wait_until(roots, name, lambda s: s.up and s.pid != before.pid, RESTART_TIMEOUT)
    except services.ServiceTimeout as exc:
        return {
            "restarted": False,
            "status": exc.status.summary,
            "note": f"{name} was told to restart but has not come back yet ({exc.status.summary}).",
        }
    start_record.record(name, reads, after)  # what "Restart it" is judged against from now on
    return {"restarted": True, "status": after.summary, "note": f"{name} was restarted to take the change."}
