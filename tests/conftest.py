"""Session-wide test environment.

The agent's configuration comes from NODEWORX_* variables; they are set here,
before anything imports the Celery app, so the pytest process (as the web side)
and the agent worker it starts agree on broker, keys, node and server root.
Integration fixtures start the real components lazily: Redis, svscan over the
test server's service directory, and the signed agent worker. Page tests run the
agent's operations in process instead (``agent_in_process``): no Redis, no worker.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailserver.agent.config import load
from mailserver.qmail.paths import Roots
from tests.support.db_order import misordered
from tests.support.stack import agent_only_env, enrolled_env, free_port

_WORK = Path(tempfile.mkdtemp(prefix="nodeworx-tests-"))
_SERVER = _WORK / "server"
_BROKER_PORT = free_port()
NODE = "test"

AGENT_ENV = {
    "NODEWORX_SERVER_ROOT": str(_SERVER),
    "NODEWORX_SMTPD_USER": "nobody",
    "NODEWORX_LOG_USER": "nobody",
    "NODEWORX_AGENT_TIMEOUT": "10",
}


def pytest_configure(config: pytest.Config) -> None:
    os.environ.update(AGENT_ENV)
    enrolled_env(_WORK, NODE, _BROKER_PORT)


@pytest.hookimpl(trylast=True)  # after pytest-django's sort and pytest's regrouping by parameter
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    found = misordered(items)
    if found:
        transactional, later = found
        raise pytest.UsageError(
            f"{later.nodeid} uses the database but would run after {transactional.nodeid}, a transactional "
            "test that empties it (the migration's groups included): see tests/support/db_order.py"
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    if not os.environ.get("NODEWORX_KEEP_TEST_DIR"):  # set it to read the agent's log after a failure
        shutil.rmtree(_WORK, ignore_errors=True)


@pytest.fixture(scope="session")
def work_dir() -> Path:
    return _WORK


@pytest.fixture(scope="session")
def server_root() -> Path:
    return _SERVER


@pytest.fixture(scope="session")
def test_server() -> Roots:
    """The test mail server's tree, built once from the captured qmail data (no process runs)."""
    from mailserver.demo.builder import build

    roots = load().roots
    build(roots, smtpd_user="nobody", log_user="nobody")
    return roots


@pytest.fixture(scope="session")
def stack(work_dir: Path, test_server: Roots) -> Iterator[dict[str, object]]:
    """Redis, svscan and the signed agent worker, up for the whole session."""
    from mailserver.agent.config import queue_for, reads_queue_for
    from tests.support.stack import running_agent, running_redis
    from tests.support.svscan import running_svscan

    config = load()
    agent_env = agent_only_env(work_dir)
    with (
        running_redis(
            work_dir / "redis", _BROKER_PORT, password_file=_WORK / "keys" / "broker.pass"
        ) as broker,
        running_svscan(config.roots.service, work_dir / "svscan.log") as scan,
        running_agent(agent_env, queue_for(NODE), work_dir / "agent.log") as worker,
        # The slow reads (log reports) have their own worker group, which runs the log follower.
        running_agent(agent_env, reads_queue_for(NODE), work_dir / "agent-reads.log") as reads,
    ):
        from mailserver.core import agent

        _wait_for_agent(agent, worker, work_dir / "agent.log")
        _wait_for_agent(agent, reads, work_dir / "agent-reads.log", "agent.logs.report", _ANY_REPORT)
        yield {
            "broker": broker,
            "svscan": scan,
            "worker": worker,
            "reads_worker": reads,
            "roots": config.roots,
            "agent_env": agent_env,
        }


_ANY_REPORT = {"period": {"last": "1 minute"}, "report": "show-all", "source": "log"}


def _wait_for_agent(agent, worker, log: Path, operation: str = "agent.ping", payload=None) -> None:
    import time

    deadline = time.monotonic() + 60
    while True:
        try:
            agent.call(operation, payload, timeout=2)
            return
        except agent.AgentError:
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the agent worker did not start:\n" + log.read_text()[-3000:]) from None


def _reset(roots: Roots) -> Roots:
    from mailserver.demo.builder import reset

    reset(roots, smtpd_user="nobody", log_user="nobody")
    return roots


@pytest.fixture
def roots(stack):
    """The test server's roots, with control files, run scripts and aliases reset before each test."""
    return _reset(stack["roots"])


@pytest.fixture
def agent_in_process(test_server: Roots, monkeypatch: pytest.MonkeyPatch) -> Roots:
    """The agent's operations run in this process on the freshly reset test server; returns its roots.

    Same handlers, payload validation and error answers as the worker (``operations.envelope``),
    without Redis, signatures, the root worker or svscan: for page tests, which test the pages.
    A directory of page tests makes it its ``roots`` (e.g. tests/mta/conftest.py).
    """
    from mailserver.core import agent
    from tests.support.in_process import InProcessAgent

    monkeypatch.setattr(agent, "transport", InProcessAgent(NODE))
    return _reset(test_server)


@pytest.fixture
def admin_client(db, roots):
    """A logged-in panel administrator, with the test server reset (overrides pytest-django's)."""
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.create_superuser("admin", "admin@example.test", "pw"))
    return client
