"""The agent runs only JSON tasks signed by the panel's key: once, as the operation and node signed for.

The signature covers the body's exact bytes; its headers (task name, expiry, id)
and its queue are not signed. The rogue-format tests replace a real message's
body with every format kombu knows; the replay, rename, re-route and expiry tests
take a real signed message off Redis, as anyone with write access to the broker
could, alter only what the signature does not cover, and push it into this
node's queue.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from mailserver.agent import signing
from mailserver.agent.config import load
from mailserver.agent.meta import CLOCK_SKEW
from mailserver.core import agent
from tests.support.captured import agent_log_after, captured_call, client, push
from tests.support.rogue_sender import rogue_message, variants

pytestmark = pytest.mark.integration

WRITE_1 = {"files": {"databytes": {"value": "1"}}}  # what an attacker would like to set


def _refusal(work_dir, message) -> str:
    """The agent's log once it has refused ``message``; the agent is then still alive and answering."""
    log = agent_log_after(work_dir, f"refused message {message['headers']['id']}")
    agent.call("agent.ping")
    return log


def test_no_format_but_signed_json_is_ever_decoded(roots, stack, work_dir):
    broker = stack["broker"]
    markers = work_dir / "markers"
    markers.mkdir(exist_ok=True)
    panel_key = signing.load_private(load().panel_key)
    rogues = variants(markers, panel_key, signing.PrivateKey.generate())
    with captured_call(broker, "agent.ping", {}, timeout=1) as (template, _):
        pass
    sent = {}
    for name, (content_type, body) in rogues.items():
        task_id = f"rogue-{name}-{uuid.uuid4()}"
        push(broker, rogue_message(template, task_id, content_type, body))
        sent[name] = task_id
    agent.call("agent.ping")  # queued after every rogue: once it answers, all of them were taken
    log = agent_log_after(work_dir, sent["no-content-type"])

    assert sorted(p.name for p in markers.iterdir()) == []  # nothing was unpickled or yaml-loaded
    assert roots.control("databytes").read_text() == "2000\n"
    for kind, content_type in [
        ("pickle", "application/x-python-serialize"),
        ("yaml", "application/x-yaml"),
        ("msgpack", "application/x-msgpack"),
        ("json", "application/json"),
    ]:  # kombu refuses these before any decoder runs
        assert f"Refusing to deserialize untrusted content of type {kind} ({content_type})" in log
    for name in ["signed-pickle", "auth-pickle", "text-pickle", "foreign-signed", "no-content-type"]:
        # Ours or kombu's always-trusted types: checked, and dropped as undecodable, by id.
        assert f"'id': '{sent[name]}'" in log.split("Can't decode message body", 1)[1], name
    assert "which is not trusted here" in log  # the stranger's signature
    assert (
        "the signed body is not a task" not in log
    )  # the signed pickle failed as JSON, before any shape check
    assert "Task agent.ping[rogue-" not in log  # none of them reached the task
    assert client(broker).llen("node.test") == 0  # every rogue was dropped, none requeued


def test_a_task_signed_by_a_node_key_is_refused(roots, stack, work_dir):
    # Root on a mail host holds its node key: it must not be able to command this (or any) node.
    broker = stack["broker"]
    node_key = signing.load_private(load().node_key)
    with captured_call(broker, "agent.ping", {}, timeout=1) as (template, _):
        pass
    body = b'[[],{"meta":null,"payload":{"files":{"databytes":{"value":"1"}}}},{}]'
    task_id = f"node-signed-{uuid.uuid4()}"
    push(
        broker,
        rogue_message(
            template,
            task_id,
            "application/x-nodeworx-signed+json",
            signing.seal(node_key, signing.TASK, body),
        ),
    )
    log = agent_log_after(work_dir, f"signed by key '{node_key.public.key_id}'")
    agent.call("agent.ping")
    assert f"signed by key '{node_key.public.key_id}', which is not trusted here" in log
    assert roots.control("databytes").read_text() == "2000\n"


def test_the_agent_runs_without_the_panels_private_key(stack):
    # The worker was started with NODEWORX_PANEL_KEY pointing nowhere (see tests/conftest.py).
    assert not Path(stack["agent_env"]["NODEWORX_PANEL_KEY"]).exists()
    assert agent.call("agent.ping") is not None


def test_the_panel_sends_no_operation_outside_the_whitelist():
    with pytest.raises(ValueError, match=r"agent\.shell\.run"):
        agent.call("agent.shell.run", {"argv": ["/bin/touch", "/tmp/owned"]}, timeout=5)


def test_an_operation_outside_the_whitelist_is_not_run_and_its_answer_not_trusted(roots, stack, work_dir):
    broker = stack["broker"]
    with captured_call(broker, "agent.ping", {"argv": ["/bin/touch", "/tmp/owned"]}) as (message, reply):
        message["headers"]["task"] = "agent.shell.run"  # signed as a ping, sent as something else
        push(broker, message)
    with pytest.raises(agent.AgentUntrusted) as untrusted:
        reply.result()
    assert "not a signed result" in untrusted.value.message  # the worker's own unsigned NotRegistered
    log = agent_log_after(work_dir, "agent.shell.run")
    assert "Received unregistered task of type 'agent.shell.run'" in log
    assert not Path("/tmp/owned").exists()


def test_a_replayed_message_is_refused_even_after_the_broker_is_wiped(roots, stack, work_dir):
    broker = stack["broker"]
    old = {"files": {"databytes": {"value": "3000"}}}
    with captured_call(broker, "agent.mta.write_controls", old) as (message, reply):
        push(broker, message)  # delivered once, as sent: it runs
    assert reply.result()["changes"][0]["after"] == "3000\n"
    agent.call("agent.mta.write_controls", {"files": {"databytes": {"value": "4000"}}})  # a later change

    redis_client = client(broker)
    for key in redis_client.scan_iter():  # whatever the broker remembered is gone
        redis_client.delete(key)
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
        reply.result()  # the sender hears the signed refusal under its message's id
    assert refused.value.kind == "refused"


def test_a_message_for_another_node_is_refused_and_changes_nothing(roots, stack, work_dir):
    broker = stack["broker"]
    with captured_call(broker, "agent.mta.write_controls", WRITE_1, node="other") as (message, reply):
        push(broker, message, "node.test")
    log = _refusal(work_dir, message)
    assert roots.control("databytes").read_text() == "2000\n"
    assert "for node 'other', not 'test'" in log
    with pytest.raises(agent.AgentUntrusted):
        reply.result()  # node test's refusal is no answer from node "other"


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
