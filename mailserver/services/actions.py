"""What an admin can do to a service from its card, and which of it needs a confirmation.

Stop and Restart interrupt what the service does for everyone, so the panel asks first and
says what stops working meanwhile (the registry's ``while_down``); Start and the start-at-boot
switch change nothing that works now.
"""

from __future__ import annotations

from enum import StrEnum

from .registry import Service


class Action(StrEnum):
    UP = "up"
    DOWN = "down"
    RESTART = "restart"
    BOOT_ON = "boot-on"
    BOOT_OFF = "boot-off"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def done(self) -> str:
        """What the admin is told afterwards: "qmail-send restarted"."""
        return _DONE[self]

    @property
    def needs_confirmation(self) -> bool:
        return self in (Action.DOWN, Action.RESTART)

    @property
    def boot(self) -> bool:
        """Whether it sets start at boot (the ``down`` file) rather than signalling supervise."""
        return self in (Action.BOOT_ON, Action.BOOT_OFF)


_LABELS = {
    Action.UP: "Start",
    Action.DOWN: "Stop",
    Action.RESTART: "Restart",
    Action.BOOT_ON: "Start at boot",
    Action.BOOT_OFF: "Do not start at boot",
}


_DONE = {
    Action.UP: "started",
    Action.DOWN: "stopped",
    Action.RESTART: "restarted",
    Action.BOOT_ON: "now starts at boot",
    Action.BOOT_OFF: "no longer starts at boot",
}


def parse(value: object) -> Action | None:
    """The action named ``value``, or None for anything else."""
    try:
        return Action(value) if isinstance(value, str) else None
    except ValueError:
        return None


def consequence(service: Service, action: Action) -> str:
    """The sentence a confirmation shows: what stops working, and for how long."""
    if action is Action.DOWN:
        return f"While {service.name} is stopped: {service.while_down} It stays stopped until you start it."
    if action is Action.RESTART:
        return (
            f"{service.name} stops and starts again, usually within a few seconds. "
            f"Meanwhile: {service.while_down}"
        )
    return ""
