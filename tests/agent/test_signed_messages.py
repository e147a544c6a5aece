"""The agent runs only tasks signed by the panel's key: once, as the operation and node signed for.

Celery signs only the message body; its headers (task name, expiry, id) and its
queue are not signed. The replay, rename, re-route and expiry tests below take a
real signed message off Redis, as anyone with write access to the broker could,
alter only what the signature does not cover, and push it into this node's queue.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from mailserver.agent.meta import CLOCK_SKEW
from mailserver.core import agent
from tests.support.captured import agent_log_after, captured_call, push
from tests.support.stack import REPO

pytestmark = pytest.mark.integration

WRITE_1 = {"files": {"databytes": {"value": "1"}}}  # what an attacker would like to set


def _send_rogue(mode: str, stack, work_dir) -> None:
    keydir = work_dir / f"rogue-{mode}"
    keydir.mkdir(exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "tests.support.rogue_sender", mode, stack["broker"], "node.test", str(keydir)],
        cwd=REPO,
        check=True,
        timeout=60,
    )


def _refusal(work_dir, message) -> str:
    """The agent's log once it has refused ``message``; the agent is then still alive and answering."""
    log = agent_log_after(work_dir, f"refused message {message['headers']['id']}")
    agent.call("agent.ping")
    return log


def test_an_unsigned_message_is_refused_and_changes_nothing(roots, stack, work_dir):
    _send_rogue("unsigned", stack, work_dir)
    log = agent_log_after(work_dir, "untrusted content of type json")
    agent.call("agent.ping")  # the agent is still alive and has taken the message off the queue
    assert "Refusing to deserialize untrusted content of type json" in log
    assert roots.control("databytes").read_text() == "2000\n"


def test_a_message_signed_by_an_unknown_key_is_refused_and_changes_nothing(roots, stack, work_dir):
    _send_rogue("foreign", stack, work_dir)
    log = agent_log_after(work_dir, "Unknown certificate")
    agent.call("agent.ping")
    assert "Unknown certificate" in log
    assert roots.control("databytes").read_text() == "2000\n"


def test_an_operation_outside_the_whitelist_is_not_run(roots):
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.shell.run", {"argv": ["/bin/touch", "/tmp/owned"]}, timeout=5)
    assert "agent.shell.run" in refused.value.message
    assert not Path("/tmp/owned").exists()


def test_a_replayed_message_is_refused_and_changes_nothing(roots, stack, work_dir):
    broker = stack["broker"]
    old = {"files": {"databytes": {"value": "3000"}}}
    with captured_call(broker, "agent.mta.write_controls", old) as (message, reply):
        push(broker, message)  # delivered once, as sent: it runs
    assert reply.result()["changes"][0]["after"] == "3000\n"
    agent.call("agent.mta.write_controls", {"files": {"databytes": {"value": "4000"}}})  # a later change

    push(broker, message)  # the same signed message again would roll the file back to 3000
    log = _refusal(work_dir, message)
    assert roots.control("databytes").read_text() == "4000\n"
    assert "already delivered once (nonce seen before)" in log


def test_a_message_renamed_to_another_operation_is_refused_and_changes_nothing(roots, stack, work_dir):
    broker = stack["broker"]
    # A harmless ping whose payload happens to look like a write.
    with captured_call(broker, "agent.ping", WRITE_1) as (message, reply):
        message["headers"]["task"] = "agent.mta.write_controls"
        push(broker, message)
    log = _refusal(work_dir, message)
    assert roots.control("databytes").read_text() == "2000\n"
    assert "for operation 'agent.ping', not 'agent.mta.write_controls'" in log
    with pytest.raises(agent.AgentRefused) as refused:
        reply.result()  # the sender hears the refusal under its message's id
    assert refused.value.kind == "refused"


def test_a_message_for_another_node_is_refused_and_changes_nothing(roots, stack, work_dir):
    broker = stack["broker"]
    with captured_call(broker, "agent.mta.write_controls", WRITE_1, node="other") as (message, reply):
        push(broker, message, "node.test")
    log = _refusal(work_dir, message)
    assert roots.control("databytes").read_text() == "2000\n"
    assert "for node 'other', not 'test'" in log
    with pytest.raises(agent.AgentRefused) as refused:
        reply.result()
    assert refused.value.kind == "refused"


def test_an_expired_message_is_refused_and_changes_nothing(roots, stack, work_dir):
    broker = stack["broker"]
    with captured_call(broker, "agent.mta.write_controls", WRITE_1, timeout=0.5) as (message, reply):
        sent = time.time()  # the call itself gives up after 0.5 s: the change is not confirmed
    with pytest.raises(agent.AgentTimeout):
        reply.result()
    time.sleep(max(0.0, sent + 0.5 + CLOCK_SKEW + 0.5 - time.time()))  # past the signed deadline
    # Celery's own expiry is in the unsigned headers: an attacker simply drops it.
    message["headers"]["expires"] = None
    message["properties"].pop("expiration", None)
    push(broker, message)
    log = _refusal(work_dir, message)
    assert roots.control("databytes").read_text() == "2000\n"
    assert "the message expired" in log
