"""Service operations: status, svc up/down/restart, start at boot (the ``down`` file).

Touches only ROOTS.service/NAME (and NAME/log) through mailserver.qmail.services, for the
services of the registry (mailserver.services.registry); any other name is refused. Reads
``/proc/PID/stat`` of the pids supervise reports, and the end of a failing service's log
(``current`` in the multilog directory its ``log/run`` names).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from mailserver.protocol import Op
from mailserver.protocol.records import ChangeRecord
from mailserver.protocol.state import LogLine, ServiceStatus
from mailserver.qmail import logtail, restarts, services
from mailserver.qmail.errors import InvalidValue
from mailserver.services import registry
from mailserver.services.states import state_of

from . import start_record
from .celeryapp import settings
from .daemons import note_intent
from .operations import FieldError, Payload, operation, require

# Every service the agent may control, in the registry's order (the pages pick their own).
MANAGED: tuple[str, ...] = registry.NAMES
ACTIONS = {"up": services.Action.UP, "down": services.Action.DOWN, "restart": services.Action.RESTART}
_SETTLE = 3.0  # seconds to wait for supervise to report the new state before answering


def installed(name: str) -> bool:
    return not registry.get(name).missing(settings.roots)


def _tail(name: str) -> list[LogLine]:
    roots = settings.roots
    directory = logtail.log_directory(roots, name) or roots.log_dir(registry.get(name).log)
    return [{"at": line.at, "text": line.text} for line in logtail.last_lines(directory)]


def _status(name: str, watched: restarts.Watched) -> ServiceStatus:
    roots = settings.roots
    status = watched.status
    missing = registry.get(name).missing(roots)
    log = services.log_status(roots, name)
    return {
        "name": name,
        "exists": status.exists,
        "installed": not missing,
        "missing": [str(path) for path in missing],
        "supervised": status.supervised,
        "up": status.up,
        "pid": status.pid,
        "seconds": status.seconds,
        "since": status.since.timestamp() if status.since else None,
        "normally_up": status.normally_up,
        "want": status.want,
        "paused": status.paused,
        "summary": status.summary,
        "state": state_of(status, installed=not missing, failing=watched.failing),
        "failing": watched.reason,
        "restarts": watched.restarts,
        "log": {"summary": log.summary, "state": log.state} if log else None,
        "log_tail": _tail(name) if watched.failing else [],
    }


def statuses(names: Iterable[str]) -> dict[str, ServiceStatus]:
    """The status of each service, a young one watched (up to a few seconds) for a restart loop."""
    watched = restarts.watch(settings.roots, names)
    return {name: _status(name, seen) for name, seen in watched.items()}


def status_dict(name: str) -> ServiceStatus:
    return statuses([name])[name]


def _managed(payload: Payload) -> str:
    name = require(payload, "service", str)
    try:
        return registry.get(name).name
    except registry.UnknownService:
        raise FieldError("service", f"{name!r} is not a service this panel manages") from None


def _cannot_start(name: str, what: str) -> InvalidValue:
    missing = ", ".join(str(path) for path in registry.get(name).missing(settings.roots))
    return InvalidValue(f"{name} is not installed on this server ({missing} is missing); {what}.")


@operation(Op.PING)
def ping(payload: Payload) -> dict[str, Any]:
    """Answer with who and where the agent is; touches nothing."""
    return {"node": settings.node, "pid": os.getpid(), "uid": os.getuid()}


@operation(Op.SERVICE_STATUS)
def service_status(payload: Payload) -> dict[str, ServiceStatus]:
    """Every managed service, or those of ``payload["services"]`` (a list of names)."""
    wanted = payload.get("services", MANAGED)
    if not isinstance(wanted, list | tuple) or not all(
        isinstance(name, str) and name in registry.BY_NAME for name in wanted
    ):
        raise FieldError("services", "services must be a list of services this panel manages")
    return statuses(dict.fromkeys(wanted))


@operation(Op.SERVICE_CONTROL)
def service_control(payload: Payload) -> dict[str, Any]:
    """svc -u / -d / -t on ROOTS.service/NAME."""
    name = _managed(payload)
    action = payload.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        raise FieldError("action", f"unknown action {action!r}; use up, down or restart")
    if action != "down" and not installed(name):
        raise _cannot_start(name, "it cannot start")
    roots = settings.roots
    before = services.read_status(roots, name)
    reads = start_record.reads_now(name) if action != "down" else None
    flags = services.control(roots, name, ACTIONS[action])
    note_intent(name, action)  # the Auto-Restart check follows the admin's last Start or Stop
    after = _settle(name, action, before)
    if after.up and after.pid != before.pid:  # a new process: what it started with, for "Restart it"
        start_record.record(name, reads, after)
    status = status_dict(name)  # after a start: watched until it has outlived a restart loop's pace
    change: ChangeRecord = {
        "target": f"service {name}",
        "action": f"svc {' '.join(flags)}",
        "before": before.summary + "\n",
        "after": after.summary + "\n",
    }
    if status["failing"]:
        change["after"] += f"failing: {status['failing']}\n"
    return {"changes": [change], "status": status}


def _settle(name: str, action: str, before: services.ServiceStatus) -> services.ServiceStatus:
    def done(status: services.ServiceStatus) -> bool:
        if action == "down":
            return not status.up
        if action == "up":  # svc -u leaves a running service as it is: no new pid to wait for
            return status.up
        return status.up and status.pid != before.pid

    try:
        return services.wait_until(settings.roots, name, done, timeout=_SETTLE)
    except services.ServiceTimeout as exc:
        return exc.status  # e.g. qmail-send finishing deliveries; the page keeps polling


@operation(Op.SERVICE_BOOT)
def service_boot(payload: Payload) -> dict[str, Any]:
    """Create or remove ROOTS.service/NAME/down."""
    name = _managed(payload)
    enabled = require(payload, "enabled", bool)
    if enabled and not installed(name):
        # supervise would start it at the next boot and restart it every second, forever.
        raise _cannot_start(name, "it cannot start at boot")
    directory = settings.roots.service_dir(name)
    before = "" if (directory / "down").exists() else "start at boot\n"
    services.set_start_at_boot(settings.roots, name, enabled)
    change: ChangeRecord = {
        "target": f"service {name}",
        "action": "boot on" if enabled else "boot off",
        "before": before,
        "after": "start at boot\n" if enabled else "",
    }
    return {"changes": [change], "status": status_dict(name)}
