"""The one word a card shows: failing before not installed before what supervise says."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mailserver.qmail.services import ServiceStatus
from mailserver.services.states import State, state_of, tone

UP = ServiceStatus(
    name="qmail-smtpd", exists=True, supervised=True, up=True, pid=42, seconds=0,
    since=None, normally_up=True, want="up", paused=False,
)  # fmt: skip
DOWN = replace(UP, up=False, pid=None, want="down", seconds=70)


@pytest.mark.parametrize(
    ("status", "installed", "failing", "state"),
    [
        (UP, True, False, State.UP),
        (DOWN, True, False, State.DOWN),
        (DOWN, False, False, State.NOT_INSTALLED),  # never "down 70 seconds" beside a missing program
        (UP, False, False, State.UP),  # running all the same: it can be stopped
        (UP, True, True, State.FAILING),  # "up (pid 42) 0 seconds", again and again
        (UP, False, True, State.FAILING),  # looping because its program is missing
        (replace(DOWN, supervised=False), True, False, State.NOT_SUPERVISED),
        (replace(DOWN, exists=False, supervised=False), False, False, State.MISSING),
    ],
)
def test_it_decides_the_state(status: ServiceStatus, installed: bool, failing: bool, state: State) -> None:
    assert state_of(status, installed=installed, failing=failing) is state


def test_failing_looks_as_bad_as_down() -> None:
    assert tone("failing") == tone("down") == "danger"
    assert tone("no such state") == "secondary"
