"""Service operations: status, svc up/down/restart, start at boot (the ``down`` file).

Touches only ROOTS.service/NAME (and NAME/log) through mailserver.qmail.services,
for the services the panel manages; any other name is refused.
"""

from __future__ import annotations

import os
from typing import Any

from mailserver.protocol import Op
from mailserver.qmail import services
from mailserver.qmail.errors import InvalidValue

from .celeryapp import settings
from .operations import FieldError, Payload, operation, require

# Service name -> the qmail program it runs. A service whose program is absent is
# "not installed": the panel will not start it, so supervise cannot loop on it.
MANAGED: dict[str, str] = {
    "qmail-smtpd": "qmail-smtpd",
    "qmail-submission": "qmail-smtpd",
    "qmail-send": "qmail-send",
}
ACTIONS = {"up": services.Action.UP, "down": services.Action.DOWN, "restart": services.Action.RESTART}
_SETTLE = 3.0  # seconds to wait for supervise to report the new state before answering


def installed(name: str) -> bool:
    return services.program_installed(settings.roots.qmail_program(MANAGED[name]))


def status_dict(name: str) -> dict[str, Any]:
    roots = settings.roots
    status = services.read_status(roots, name)
    is_installed = installed(name)
    log = services.log_status(roots, name)
    return {
        "name": name,
        "exists": status.exists,
        "installed": is_installed,
        "supervised": status.supervised,
        "up": status.up,
        "pid": status.pid,
        "seconds": status.seconds,
        "since": status.since.timestamp() if status.since else None,
        "normally_up": status.normally_up,
        "want": status.want,
        "paused": status.paused,
        "summary": status.summary,
        "state": "not installed" if (status.exists and not is_installed and not status.up) else status.state,
        "log": {"summary": log.summary, "state": log.state} if log else None,
    }


def _managed(payload: Payload) -> str:
    name: str = require(payload, "service", str)
    if name not in MANAGED:
        raise FieldError("service", f"{name!r} is not a service this panel manages")
    return name


@operation(Op.PING)
def ping(payload: Payload) -> dict[str, Any]:
    """Answer with who and where the agent is; touches nothing."""
    return {"node": settings.node, "pid": os.getpid(), "uid": os.getuid()}


@operation(Op.SERVICE_STATUS)
def service_status(payload: Payload) -> dict[str, Any]:
    return {name: status_dict(name) for name in MANAGED}


@operation(Op.SERVICE_CONTROL)
def service_control(payload: Payload) -> dict[str, Any]:
    """svc -u / -d / -t on ROOTS.service/NAME."""
    name = _managed(payload)
    action = payload.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        raise FieldError("action", f"unknown action {action!r}; use up, down or restart")
    if action != "down" and not installed(name):
        program = settings.roots.qmail_program(MANAGED[name])
        raise InvalidValue(f"{name} is not installed on this server ({program} is missing); it cannot start.")
    roots = settings.roots
    before = services.read_status(roots, name)
    flags = services.control(roots, name, ACTIONS[action])
    after = _settle(name, action, before)
    return {
        "changes": [
            {
                "target": f"service {name}",
                "action": f"svc {' '.join(flags)}",
                "before": before.summary + "\n",
                "after": after.summary + "\n",
            }
        ],
        "status": status_dict(name),
    }


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
        raise InvalidValue(f"{name} is not installed on this server; it cannot start at boot.")
    directory = settings.roots.service_dir(name)
    before = "" if (directory / "down").exists() else "start at boot\n"
    services.set_start_at_boot(settings.roots, name, enabled)
    return {
        "changes": [
            {
                "target": f"service {name}",
                "action": "boot on" if enabled else "boot off",
                "before": before,
                "after": "start at boot\n" if enabled else "",
            }
        ],
        "status": status_dict(name),
    }
