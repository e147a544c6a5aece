"""The agent's MTA operations through the real broker and the real signed worker."""

from __future__ import annotations

import pytest

from mailserver.core import agent
from mailserver.qmail import atomic

pytestmark = pytest.mark.integration


def test_reads_the_real_control_files(roots):
    state = agent.call("agent.mta.read_state")
    assert state["controls"]["databytes"]["value"] == 2000
    assert state["controls"]["me"]["value"] == "mail.example.test"
    assert state["controls"]["badmailfrom"]["value"] == ["spammer@bad.example.test", "@spam.example.test"]
    assert state["controls"]["timeoutsmtpd"]["exists"] is False  # default applies


def test_writes_a_control_file_atomically_keeping_mode(roots):
    path = roots.control("databytes")
    path.chmod(0o640)
    sha = atomic.read_state(path).sha256
    files = {"databytes": {"value": "5000000", "expect": sha}}
    data = agent.call("agent.mta.write_controls", {"files": files})
    assert path.read_bytes() == b"5000000\n"
    assert path.stat().st_mode & 0o777 == 0o640
    assert data["changes"] == [
        {"target": "control/databytes", "action": "write", "before": "2000\n", "after": "5000000\n"}
    ]
    assert data["state"]["controls"]["databytes"]["value"] == 5000000


def test_refuses_a_value_qmail_would_misread_and_writes_nothing(roots):
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.mta.write_controls", {"files": {"databytes": {"value": "20x"}}})
    assert refused.value.field == "databytes"
    assert roots.control("databytes").read_bytes() == b"2000\n"


def test_refuses_to_overwrite_a_hand_edit(roots):
    seen = atomic.read_state(roots.control("databytes")).sha256
    roots.control("databytes").write_text("3000\n")  # an admin edits the file by hand meanwhile
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.mta.write_controls", {"files": {"databytes": {"value": "5000", "expect": seen}}})
    assert refused.value.kind == "conflict"
    assert roots.control("databytes").read_text() == "3000\n"


def test_a_failed_file_puts_back_the_ones_already_written(roots):
    me = atomic.read_state(roots.control("me")).sha256
    with pytest.raises(agent.AgentRefused):
        agent.call(
            "agent.mta.write_controls",
            {
                "files": {
                    "me": {"value": "mx.example.test", "expect": me},
                    "databytes": {
                        "value": "1000",
                        "expect": "0" * 64,
                    },  # stale: conflicts after "me" was written
                }
            },
        )
    assert roots.control("me").read_text() == "mail.example.test\n"
    assert roots.control("databytes").read_text() == "2000\n"


def test_unknown_control_names_are_refused(roots):
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.mta.write_controls", {"files": {"../../etc/passwd": {"value": "x"}}})
    assert refused.value.kind == "invalid"
