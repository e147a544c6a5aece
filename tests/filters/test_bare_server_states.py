"""On a server where none of the daemons is set up (the demo's, a fresh host), every page's state still reads,
and says what is missing instead of failing."""

from __future__ import annotations

import pytest

from mailserver.core import agent
from mailserver.protocol import Op


@pytest.fixture
def roots(agent_in_process):
    import shutil

    for name in ("clamd", "freshclam", "spamd"):  # what a daemon an earlier test ran left in the log
        shutil.rmtree(agent_in_process.log_dir(name), ignore_errors=True)
    return agent_in_process


def test_mda_state_without_any_server(roots):
    state = agent.call(Op.MDA_READ_STATE)
    assert set(state["servers"]) == {"qmail-pop3d", "qmail-pop3d-ssl", "courier-imapd", "courier-imapd-ssl"}
    pop3d = state["servers"]["qmail-pop3d"]
    assert pop3d["status"]["exists"] is False and pop3d["script"]["exists"] is False
    assert (pop3d["memory_limit"], pop3d["connections"], pop3d["in_use"]) == (None, None, None)
    assert pop3d["memory_floor"] == 10_000_000
    imap = state["servers"]["courier-imapd"]
    assert imap["connections_source"] == "not set" and imap["files"]["imapd"]["exists"] is False


def test_spam_state_without_spamassassin(roots):
    state = agent.call(Op.SPAM_READ_STATE)
    assert state["version"] is None
    assert state["services"]["spamd"]["exists"] is False
    assert state["spamd"]["answering"] is False
    assert state["settings"]["required_score"] == "5.0"
    assert state["smtp_scanning"]["simscan_installed"] is False
    assert state["smtp_scanning"]["notes"] and "needs simscan" in state["smtp_scanning"]["notes"][0]
    assert state["training"]["enabled"] is False


def test_virus_state_without_clamav(roots):
    state = agent.call(Op.VIRUS_READ_STATE)
    assert state["clamd"]["answering"] is False
    assert state["config"]["clamd"]["exists"] is False
    assert state["databases"] == {"main": None, "daily": None, "bytecode": None}
    assert state["freshclam"]["result"] is None
    assert state["alerts"] == []


def test_setting_up_a_service_creates_it_stopped_with_the_panels_run_script(roots):
    try:
        answer = agent.call(Op.SERVICE_SETUP, {"service": "freshclam"})
        directory = roots.service_dir("freshclam")
        assert (directory / "down").exists() and (directory / "log" / "down").exists()
        assert (directory / "run").read_text().startswith("#!/bin/sh\n# nodeworx-managed: freshclam.run v1\n")
        assert [c["action"] for c in answer["changes"]] == ["create", "write"]
        with pytest.raises(agent.AgentError, match="already exists"):
            agent.call(Op.SERVICE_SETUP, {"service": "freshclam"})
    finally:
        import shutil

        roots.service_dir("freshclam").unlink(missing_ok=True)
        shutil.rmtree(roots.qmail / "supervise" / "freshclam", ignore_errors=True)
    with pytest.raises(agent.AgentError) as refused:
        agent.call(Op.SERVICE_SETUP, {"service": "qmail-smtpd"})
    assert refused.value.field == "service"
