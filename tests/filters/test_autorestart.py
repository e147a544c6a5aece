"""Auto-Restart: the watchdog, a real process, starts clamd again when found down against the admin's wish.

clamd runs under the session's svscan. "Down against the admin's wish" is made the way it
happens on a server: someone runs ``svc -d`` by hand after the admin started it in the panel
(supervise then keeps it down: it only restarts a process that exits while wanted up).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailserver.agent.config import load
from mailserver.core import agent
from mailserver.protocol import Op
from mailserver.qmail import services
from mailserver.services import autorestart
from tests.support import daemons

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def watchdog(clamav_running, work_dir) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m mailserver.agent.watchdog`` with the agent's configuration, checking every second."""
    env = {**os.environ, "NODEWORX_WATCH_INTERVAL": "1"}
    with open(work_dir / "watchdog.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mailserver.agent.watchdog"], env=env, cwd=REPO, stdout=log, stderr=log
        )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def set_auto_restart(service: str, enabled: bool) -> dict:
    return agent.call(Op.SERVICE_AUTO_RESTART, {"service": service, "enabled": enabled})


def control(service: str, action: str) -> dict:
    return agent.call(Op.SERVICE_CONTROL, {"service": service, "action": action}, timeout=20)


def test_a_service_stopped_behind_the_panels_back_is_started_again_and_recorded(clamav_running, watchdog):
    roots = clamav_running.roots
    answer = set_auto_restart("clamd", True)
    assert answer["changes"][0]["action"] == "auto-restart on"
    assert (roots.service_dir("clamd") / autorestart.FLAG).is_file()
    control("clamd", "restart")  # the admin's last word in the panel: up
    try:
        time.sleep(autorestart.SETTLE)  # the check leaves a service alone right after the admin acted
        old = services.read_status(roots, "clamd").pid
        stopped_at = time.time()
        services.control(roots, "clamd", "down")  # by hand, outside the panel: supervise keeps it down

        daemons.wait_for(
            lambda: (s := services.read_status(roots, "clamd")).up and s.pid != old and s.want == "up",
            15, "the watchdog to start clamd again",
        )  # fmt: skip
        # The watchdog records it once it has watched the new clamd outlive a restart loop's pace.
        state = daemons.wait_for(
            lambda: (s := agent.call(Op.VIRUS_READ_STATE)["auto_restart"]["clamd"])["last_restart"] and s,
            15, "the restart to be recorded",
        )  # fmt: skip
        assert state["enabled"] is True and state["intent"] == "up"
        assert state["watchdog_running"] is True
        last = state["last_restart"]
        assert last["at"] >= stopped_at and last["ok"] is True
        assert last["found"].startswith("down ") and last["action"] == "svc -u"
        assert last["result"].startswith("started: up (pid ")
    finally:
        set_auto_restart("clamd", False)


def test_a_stop_in_the_panel_is_respected(clamav_running, watchdog):
    roots = clamav_running.roots
    set_auto_restart("clamd", True)
    try:
        control("clamd", "down")
        time.sleep(4)  # four passes of the watchdog
        assert not services.read_status(roots, "clamd").up
        assert agent.call(Op.VIRUS_READ_STATE)["auto_restart"]["clamd"]["intent"] == "down"
    finally:
        set_auto_restart("clamd", False)
        control("clamd", "up")


def test_without_auto_restart_a_stopped_service_stays_down(clamav_running, watchdog):
    roots = clamav_running.roots
    control("clamd", "up")
    services.control(roots, "clamd", "down")
    try:
        time.sleep(4)
        assert not services.read_status(roots, "clamd").up
    finally:
        control("clamd", "up")


def test_a_failing_service_is_recorded_once_and_left_to_supervise(clamav_running):
    """A run script that exits at once: supervise is already retrying, svc -u would add nothing."""
    roots = clamav_running.roots
    config = clamav_running.etc / "clamd.conf"
    hidden = config.with_name("clamd.conf.away")
    journal = autorestart.Journal(load().state_dir)
    set_auto_restart("clamd", True)
    config.rename(hidden)
    try:
        services.control(roots, "clamd", "restart")  # by hand: the journal's intent stays as it was
        first = daemons.wait_for(
            lambda: autorestart.check(roots, journal, ["clamd"]), 15, "the failing verdict"
        )
        assert first[0].action == "none" and first[0].result.startswith("failing: ")
        assert autorestart.check(roots, journal, ["clamd"]) == []  # the same episode: not recorded again
    finally:
        hidden.rename(config)
        set_auto_restart("clamd", False)
        daemons.wait_for(clamav_running.socket.exists, 30, "clamd's socket")
        journal.close()
