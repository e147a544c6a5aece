"""kill -9 of the agent in the middle of saves: every file stays whole, and no temp file outlives a restart.

Each save writes a distinctive 2,000-line blacklist (version k: user<i>-v<k>@…), large
enough that a write takes a while; the agent is killed at random moments while
saves are in flight. After each kill the file must be exactly one complete version
(never empty, missing, truncated or mixed), and once the agent is back its start-up
has removed the temp files the killed writes left.
"""

from __future__ import annotations

import random
import threading
import time

import pytest

from mailserver.core import agent
from tests.faults.conftest import NODE
from tests.support.temps import dead_writers_temps

pytestmark = pytest.mark.integration

LINES = 2000
KILLS = 6  # CI; bench/fault_bench.py runs the same loop many more times


def _version(k: int) -> str:
    return "\n".join(f"user{i}-v{k}@example.test" for i in range(LINES))


def _whole_version(text: str) -> int | None:
    """k if ``text`` is exactly version k as written, else None (torn, mixed or empty)."""
    first = text.split("\n", 1)[0]
    if not first.startswith("user0-v"):
        return None
    k = int(first.removeprefix("user0-v").split("@", 1)[0])
    return k if text == _version(k) + "\n" else None


def _save_loop(stop: threading.Event, counter: list[int]) -> None:
    while not stop.is_set():
        k = counter[0] = counter[0] + 1
        try:
            agent.call(
                "agent.mta.write_controls",
                {"files": {"badmailfrom": {"value": _version(k)}}},
                node=NODE,
                timeout=2,
            )
        except agent.AgentError:
            time.sleep(0.05)  # the agent is down or restarting: try again


def test_a_killed_agent_never_leaves_a_torn_file_or_a_stray_temp_file(private_node):
    control = private_node.roots.qmail / "control"
    rng = random.Random(1)
    counts = {"kills": 0, "torn": 0, "empty_or_missing": 0, "stray_after_restart": 0}
    stop = threading.Event()
    counter = [0]
    saver = threading.Thread(target=_save_loop, args=(stop, counter), daemon=True)
    saver.start()
    try:
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.05, 0.6))  # somewhere inside a save
            private_node.kill_agent()
            counts["kills"] += 1
            path = control / "badmailfrom"
            if not path.exists() or path.stat().st_size == 0:
                counts["empty_or_missing"] += 1
            elif (
                _whole_version(path.read_text()) is None
                and path.read_text() != "spammer@bad.example.test\n@spam.example.test\n"
            ):
                counts["torn"] += 1
            private_node.start_agent()
            counts["stray_after_restart"] += len(dead_writers_temps(control))
    finally:
        stop.set()
        saver.join(10)
    assert counter[0] > KILLS  # saves really were in flight
    assert counts == {"kills": KILLS, "torn": 0, "empty_or_missing": 0, "stray_after_restart": 0}
    assert _whole_version((control / "badmailfrom").read_text()) is not None


def test_an_agent_starting_up_removes_the_temp_files_a_killed_write_left(private_node):
    control = private_node.roots.qmail / "control"
    left = control / ".badmailfrom.tmp-99999-0badf00d"  # as atomic.py names them
    left.write_text("half of a new ver")
    unrelated = control / ".keep-me"  # not one of ours: never touched
    unrelated.write_text("x")
    private_node.kill_agent()
    private_node.start_agent()
    assert not left.exists()
    assert unrelated.exists()
    assert (control / "badmailfrom").read_text() == "spammer@bad.example.test\n@spam.example.test\n"
