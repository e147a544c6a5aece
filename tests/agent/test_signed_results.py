"""The panel believes an answer only when the node it asked signed it, for that very call.

Anyone who can write to Redis can store a result under a task's id. These tests
do so while a real call waits (its message diverted, so no agent answers it).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mailserver.agent import signing, transport
from mailserver.agent.celeryapp import app
from mailserver.agent.config import load
from mailserver.core import agent
from mailserver.core.models import Change, ChangeResult
from tests.support.captured import answered_by, captured_call

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

WRITE = {"files": {"databytes": {"value": "1"}}}
APPLIED = {
    "ok": True,
    "data": {"changes": [{"target": "control/databytes", "before": "2000\n", "after": "1\n"}]},
}


def _forge(message, result) -> None:
    app.backend.store_result(message["headers"]["id"], result, "SUCCESS")


def test_a_forged_applied_result_is_recorded_as_not_confirmed(roots, stack):
    request = SimpleNamespace(user=SimpleNamespace(pk=None, username="admin"))
    with (
        answered_by(stack["broker"], lambda message: _forge(message, APPLIED)),
        pytest.raises(agent.AgentUntrusted) as untrusted,
    ):
        agent.change(request, "agent.mta.write_controls", WRITE, [{"target": "control/databytes"}])
    assert "not a signed result" in untrusted.value.message
    (record,) = Change.objects.all()
    assert record.result == ChangeResult.UNCONFIRMED
    assert record.after == ""  # nothing of the forged "after" reached the audit log
    assert roots.control("databytes").read_text() == "2000\n"


def test_a_genuine_answer_to_another_call_is_not_taken_for_this_one(stack):
    # Signed by the real node key, but for another task and nonce: as if copied from an earlier call.
    other = transport.Call(node="test", op="agent.mta.write_controls", task_id="earlier-task", nonce="0" * 32)
    with captured_call(stack["broker"], "agent.mta.write_controls", WRITE) as (message, reply):
        _forge(message, transport.seal_result(other, APPLIED))
    with pytest.raises(agent.AgentUntrusted) as untrusted:
        reply.result()
    assert "for another task_id" in untrusted.value.message


def test_an_answer_signed_by_another_nodes_key_is_refused(stack, work_dir):
    stranger = signing.PrivateKey.generate()  # e.g. root on another enrolled mail host
    with captured_call(stack["broker"], "agent.mta.write_controls", WRITE) as (message, reply):
        task_id = message["headers"]["id"]
        nonce = message_nonce(message)
        document = transport._dumps(
            {
                "node": "test",
                "op": "agent.mta.write_controls",
                "task_id": task_id,
                "nonce": nonce,
                "envelope": APPLIED,
            }
        )
        _forge(message, signing.seal(stranger, signing.RESULT, document).decode())
    with pytest.raises(agent.AgentUntrusted) as untrusted:
        reply.result()
    assert "not signed by node test" in untrusted.value.message
    assert load().node_keys.joinpath("test.pub").is_file()


def message_nonce(message) -> str:
    """The nonce inside a captured message's signed body."""
    import base64
    import json

    body = (
        base64.b64decode(message["body"])
        if message["properties"]["body_encoding"] == "base64"
        else message["body"]
    )
    _, _, signed = body.partition(b"\n")
    return json.loads(signed)[1]["meta"]["nonce"]
