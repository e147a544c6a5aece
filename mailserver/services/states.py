"""The one word a service card shows, decided in one place for the agent and the pages.

daemontools' own states (up, down, starting, stopping, not supervised, missing) come from
supervise's status (:attr:`mailserver.qmail.services.ServiceStatus.state`); the panel adds
two of its own: "not installed" (its program is absent, so it must not be started) and
"failing" (it exits as soon as it starts and supervise keeps restarting it).
"""

from __future__ import annotations

from enum import StrEnum

from mailserver.qmail.services import ServiceStatus


class State(StrEnum):
    UP = "up"
    DOWN = "down"
    STARTING = "starting"
    STOPPING = "stopping"
    FAILING = "failing"
    NOT_INSTALLED = "not installed"
    NOT_SUPERVISED = "not supervised"
    MISSING = "missing"

    @property
    def tone(self) -> str:
        """The Bootstrap colour of its badge."""
        return _TONES[self]


_TONES = {
    State.UP: "success",
    State.DOWN: "danger",
    State.FAILING: "danger",
    State.STARTING: "warning",
    State.STOPPING: "warning",
    State.NOT_INSTALLED: "secondary",
    State.NOT_SUPERVISED: "secondary",
    State.MISSING: "secondary",
}


def state_of(status: ServiceStatus, *, installed: bool, failing: bool) -> State:
    """Failing first: a looping service is often "up" for the second between two starts,
    and one looping because its program is missing must still be shown (and stoppable)."""
    if failing:
        return State.FAILING
    if status.exists and not installed and not status.up:
        return State.NOT_INSTALLED
    return State(status.state)


def tone(state: str) -> str:
    """The badge colour of a state word as it travels in the agent's answers."""
    try:
        return State(state).tone
    except ValueError:
        return "secondary"
