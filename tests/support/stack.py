"""The real components integration tests run against: Redis, the signed agent, svscan.

Each is started as its own process on loopback or a unix socket inside a
temporary directory, and stopped (whole process group) afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import redis

from mailserver.agent.broker import USER, write_acl
from mailserver.agent.config import load
from mailserver.agent.keys import add_node, node_enroll, panel_init

REPO = Path(__file__).resolve().parents[2]


def enrolled_env(work: Path, node: str, broker_port: int) -> dict[str, str]:
    """The NODEWORX_* keys and broker settings of one panel and one enrolled node, made under ``work``.

    Enrolled as an admin would: the panel's key, the node trusting it, the panel trusting
    the node. Call it before anything loads the agent configuration.
    """
    keys = work / "keys"
    env = {
        "NODEWORX_NODE": node,
        "NODEWORX_BROKER_URL": f"redis://127.0.0.1:{broker_port}/0",
        "NODEWORX_BROKER_PASSWORD_FILE": str(keys / "broker.pass"),
        "NODEWORX_PANEL_KEY": str(keys / "panel" / "panel.key"),
        "NODEWORX_NODE_KEYS": str(keys / "panel" / "nodes"),
        "NODEWORX_NODE_KEY": str(keys / "agent" / "node.key"),
        "NODEWORX_PANEL_TRUST": str(keys / "agent" / "panel-trust"),
        "NODEWORX_AGENT_STATE": str(work / "agent-state"),
    }
    keys.mkdir(parents=True)
    (keys / "broker.pass").write_text(secrets.token_urlsafe(24) + "\n")
    os.environ.update(env)
    settings = load()
    add_node(settings, node, node_enroll(settings, panel_init(settings)))
    return env


def agent_only_env(work: Path) -> dict[str, str]:
    """What the agent process gets on top: no panel private key, no node public keys (a mail host's view)."""
    return {
        "NODEWORX_PANEL_KEY": str(work / "no-panel-key-on-agents"),
        "NODEWORX_NODE_KEYS": str(work / "no-node-keys-on-agents"),
        # The agent never loads the panel's Django: a settings module that does not exist proves it.
        "DJANGO_SETTINGS_MODULE": "no_django_in_the_agent",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, wait: float = 10) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


@contextlib.contextmanager
def running_redis(workdir: Path, port: int | None = None, *, password_file: Path) -> Iterator[str]:
    """A real redis-server with the project's ACL: only user nodeworx, with the password in ``password_file``.

    Yields the broker URL with those credentials.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    write_acl(workdir / "users.acl", password_file)
    password = password_file.read_text().strip()
    proc = subprocess.Popen(
        [
            "/usr/bin/redis-server",
            "--aclfile",
            str(workdir / "users.acl"),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--logfile",
            str(workdir / "redis.log"),
        ],
        start_new_session=True,
    )
    url = f"redis://{USER}:{password}@127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            if redis.Redis.from_url(url, socket_connect_timeout=0.2).ping():
                break
        except redis.ConnectionError:
            pass
        if time.monotonic() > deadline:
            _stop(proc)
            raise RuntimeError("redis-server did not start: " + (workdir / "redis.log").read_text()[-2000:])
        time.sleep(0.02)
    try:
        yield url
    finally:
        _stop(proc)


@contextlib.contextmanager
def running_agent(env: dict[str, str], queue: str, logfile: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker as the agent, consuming only ``queue``."""
    with open(logfile, "ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mailserver.agent.worker",
                "worker",
                "-Q",
                queue,
                "-c",
                "2",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "INFO",
                "-n",
                f"agent-{queue}@%h",
            ],
            cwd=REPO,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        _stop(proc, signal.SIGTERM, 15)
