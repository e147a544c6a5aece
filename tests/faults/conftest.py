"""A node of its own for fault tests: its own Redis, agent and server, so killing them harms no other test.

The agent is the real signed worker, started as root on a server built from the
captured qmail data; the panel side is this test process, whose Celery client is
pointed at the private Redis. The node is enrolled with the session's node key.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from mailserver.agent import signing
from mailserver.agent.config import load
from mailserver.agent.keys import add_node
from mailserver.core import agent
from mailserver.demo.builder import build
from mailserver.qmail.paths import Roots
from tests.support.stack import free_port, running_agent, running_redis

NODE = "faults"


@dataclass
class PrivateNode:
    work: Path
    roots: Roots
    env: dict[str, str]
    redis_port: int
    stack: ExitStack = field(default_factory=ExitStack)
    agent: subprocess.Popen[bytes] | None = None
    redis: str = ""

    def start_redis(self) -> None:
        self.redis = self.stack.enter_context(
            running_redis(
                self.work / "redis", self.redis_port, password_file=self.work.parent / "keys/broker.pass"
            )
        )

    def redis_process(self) -> psutil.Process:
        listening = f":{self.redis_port}"  # redis-server shows "ADDRESS:PORT" as its command line
        for proc in psutil.process_iter(["name", "cmdline"]):
            args = proc.info["cmdline"] or ()
            if proc.info["name"] == "redis-server" and any(listening in arg for arg in args):
                return proc
        raise LookupError(f"no redis-server on port {self.redis_port}")

    def start_agent(self) -> None:
        self.agent = self.stack.enter_context(
            running_agent(self.env, f"node.{NODE}", self.work / "agent.log")
        )
        agent.call("agent.ping", node=NODE, timeout=30)  # waits for the worker to take its queue

    def kill_agent(self) -> None:
        """kill -9 of the whole worker: main process and pool children, wherever they are."""
        assert self.agent is not None
        os.killpg(self.agent.pid, signal.SIGKILL)
        self.agent.wait(10)


@pytest.fixture
def private_node(stack, work_dir, monkeypatch) -> Iterator[PrivateNode]:
    # Imported here, not at the top: a conftest can be imported before tests/conftest.py has set
    # the environment, and the Celery app reads its broker from it when first imported.
    from mailserver.agent.celeryapp import make_app

    work = work_dir / f"faults-{free_port()}"
    server = work / "server"
    settings = load()
    add_node(settings, NODE, signing.load_private(settings.node_key).public.text())
    roots = dataclasses.replace(settings, server_root=server).roots
    build(roots, smtpd_user="nobody", log_user="nobody")
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    env = {
        "NODEWORX_NODE": NODE,
        "NODEWORX_BROKER_URL": broker,
        "NODEWORX_SERVER_ROOT": str(server),
        "NODEWORX_AGENT_STATE": str(work / "agent-state"),
        **stack["agent_env"],
    }
    node = PrivateNode(work=work, roots=roots, env=env, redis_port=port)
    node.start_redis()
    app = make_app(dataclasses.replace(settings, broker_url=node.redis, result_url=node.redis))
    monkeypatch.setattr(agent, "_app", lambda: app)
    monkeypatch.setenv("NODEWORX_NODE", NODE)
    with node.stack:
        node.start_agent()
        yield node
