"""Bench: kill -9 of the root agent in the middle of saves, many times over.

The CI test (tests/faults/test_agent_killed_during_saves.py) kills the agent six
times; this runs the same loop --kills times against a real Redis, the real signed
worker and a server built from the captured qmail data. Each save writes a distinct
2,000-line control/badmailfrom; after each kill the file must be exactly one whole
version, and after each restart no temp file of an interrupted write may be left.

Run: .venv/bin/python bench/fault_bench.py [--kills 100]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.stack import (  # noqa: E402
    agent_only_env,
    enrolled_env,
    free_port,
    running_agent,
    running_redis,
)
from tests.support.temps import dead_writers_temps  # noqa: E402

LINES = 2000
ORIGINAL = "spammer@bad.example.test\n@spam.example.test\n"


def version(k: int) -> str:
    return "\n".join(f"user{i}-v{k}@example.test" for i in range(LINES))


def whole(text: str) -> bool:
    if text == ORIGINAL:
        return True
    first = text.split("\n", 1)[0]
    if not first.startswith("user0-v"):
        return False
    k = int(first.removeprefix("user0-v").split("@", 1)[0])
    return text == version(k) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nodeworx-fault-bench-"))
    redis_port = free_port()
    os.environ.update(
        {
            "NODEWORX_SERVER_ROOT": str(work / "server"),
            "NODEWORX_SMTPD_USER": "nobody",
            "NODEWORX_LOG_USER": "nobody",
            "NODEWORX_SECRET_KEY": "bench-only",
            "NODEWORX_DATABASE_URL": f"sqlite:///{work}/panel.sqlite3",
            "DJANGO_SETTINGS_MODULE": "nodeworx.settings",
        }
    )
    enrolled_env(work, "bench", redis_port)
    import django

    django.setup()
    from mailserver.agent.config import load
    from mailserver.core import agent
    from mailserver.demo.builder import build

    roots = load().roots
    build(roots, smtpd_user="nobody", log_user="nobody")
    control = roots.qmail / "control"
    counts = {"kills": 0, "saves_sent": 0, "saves_confirmed": 0, "torn": 0, "empty_or_missing": 0}
    counts["temps_left_by_kills"] = counts["stray_temps_after_restart"] = 0
    stop = threading.Event()

    def saver() -> None:
        k = 0
        while not stop.is_set():
            k += 1
            counts["saves_sent"] += 1
            payload = {"files": {"badmailfrom": {"value": version(k)}}}
            try:
                agent.call("agent.mta.write_controls", payload, node="bench", timeout=2)
                counts["saves_confirmed"] += 1
            except agent.AgentError:
                time.sleep(0.05)

    rng = random.Random(1)
    started = time.monotonic()
    with running_redis(work / "redis", redis_port, password_file=work / "keys" / "broker.pass"):
        thread = threading.Thread(target=saver, daemon=True)
        for kill in range(args.kills):
            with running_agent(agent_only_env(work), "node.bench", work / "agent.log") as worker:
                agent.call("agent.ping", node="bench", timeout=30)
                counts["stray_temps_after_restart"] += len(dead_writers_temps(control))
                if kill == 0:
                    thread.start()
                time.sleep(rng.uniform(0.05, 0.6))
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)
                counts["kills"] += 1
                counts["temps_left_by_kills"] += len(dead_writers_temps(control))
                path = control / "badmailfrom"
                if not path.exists() or path.stat().st_size == 0:
                    counts["empty_or_missing"] += 1
                elif not whole(path.read_text()):
                    counts["torn"] += 1
        with running_agent(agent_only_env(work), "node.bench", work / "agent.log"):
            agent.call("agent.ping", node="bench", timeout=30)
            counts["stray_temps_after_restart"] += len(dead_writers_temps(control))
            stop.set()
            thread.join(10)
    counts["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
