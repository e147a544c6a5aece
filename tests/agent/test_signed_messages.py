"""The agent runs only tasks signed by the panel's key; anything else is dropped unexecuted."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from mailserver.core import agent
from tests.support.stack import REPO

pytestmark = pytest.mark.integration


def _send_rogue(mode: str, stack, work_dir) -> None:
    keydir = work_dir / f"rogue-{mode}"
    keydir.mkdir(exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "tests.support.rogue_sender", mode, stack["broker"], "node.test", str(keydir)],
        cwd=REPO,
        check=True,
        timeout=60,
    )


def _agent_log_after(work_dir, marker: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = (work_dir / "agent.log").read_text(errors="replace")
        if marker in text:
            return text
        time.sleep(0.1)
    return (work_dir / "agent.log").read_text(errors="replace")


def test_an_unsigned_message_is_refused_and_changes_nothing(roots, stack, work_dir):
    _send_rogue("unsigned", stack, work_dir)
    log = _agent_log_after(work_dir, "untrusted content of type json")
    agent.call("agent.ping")  # the agent is still alive and has taken the message off the queue
    assert "Refusing to deserialize untrusted content of type json" in log
    assert roots.control("databytes").read_text() == "2000\n"


def test_a_message_signed_by_an_unknown_key_is_refused_and_changes_nothing(roots, stack, work_dir):
    _send_rogue("foreign", stack, work_dir)
    log = _agent_log_after(work_dir, "Unknown certificate")
    agent.call("agent.ping")
    assert "Unknown certificate" in log
    assert roots.control("databytes").read_text() == "2000\n"


def test_an_operation_outside_the_whitelist_is_not_run(roots):
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.shell.run", {"argv": ["/bin/touch", "/tmp/owned"]}, timeout=5)
    assert "agent.shell.run" in refused.value.message
    assert not Path("/tmp/owned").exists()
