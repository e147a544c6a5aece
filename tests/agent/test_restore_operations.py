"""Restore through the real broker and signed worker: an earlier version, only if nothing changed since."""

from __future__ import annotations

import dataclasses

import pytest

from mailserver.core import agent
from mailserver.qmail import atomic, runscript
from mailserver.qmail.runparams import SmtpdParams

pytestmark = pytest.mark.integration

RESTORE = "agent.restore.file"


def sha(text: str) -> str:
    return atomic.sha256_hex(text.encode())


def write_control(name: str, value: str) -> dict[str, str]:
    """Save one control file as the MTA page does; returns the change the agent reports."""
    [change] = agent.call("agent.mta.write_controls", {"files": {name: {"value": value}}})["changes"]
    return change


def undo(change: dict[str, str]) -> list[dict[str, str]]:
    """Ask for the version before ``change``, expecting the file to hold what it wrote."""
    expect = None if change["action"] == "remove" else sha(change["after"])
    payload = {"target": change["target"], "content": change["before"], "expect": expect}
    return agent.call(RESTORE, payload)["changes"]


def test_writes_the_earlier_version_back_keeping_the_mode(roots):
    path = roots.control("databytes")
    path.chmod(0o640)
    change = write_control("databytes", "5000")
    assert undo(change) == [
        {"target": "control/databytes", "action": "restore", "before": "5000\n", "after": "2000\n"}
    ]
    assert path.read_bytes() == b"2000\n"
    assert path.stat().st_mode & 0o777 == 0o640


def test_refuses_when_the_file_changed_since_and_leaves_it_alone(roots):
    change = write_control("databytes", "5000")
    roots.control("databytes").write_text("7000\n")  # edited by hand afterwards
    with pytest.raises(agent.AgentRefused) as refused:
        undo(change)
    assert refused.value.kind == "conflict"
    assert "changed since" in refused.value.message
    assert roots.control("databytes").read_text() == "7000\n"


def test_refuses_a_later_save_being_overwritten_too(roots):
    first = write_control("databytes", "5000")
    write_control("databytes", "6000")
    with pytest.raises(agent.AgentRefused) as refused:
        undo(first)
    assert refused.value.kind == "conflict"
    assert roots.control("databytes").read_text() == "6000\n"


def test_refuses_an_earlier_version_qmail_would_misread(roots):
    current = roots.control("databytes").read_text()
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call(RESTORE, {"target": "control/databytes", "content": "20x\n", "expect": sha(current)})
    assert refused.value.kind == "invalid"
    assert "reads" in refused.value.message and "20" in refused.value.message
    assert roots.control("databytes").read_text() == current


def test_refuses_an_earlier_version_the_panel_would_not_write_as_it_was(roots):
    current = roots.control("databytes").read_text()
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call(RESTORE, {"target": "control/databytes", "content": "3000  \n", "expect": sha(current)})
    assert refused.value.kind == "invalid"
    assert "not exactly what the panel writes" in refused.value.message
    assert roots.control("databytes").read_text() == current


def test_an_empty_earlier_version_means_no_file(roots):
    path = roots.control("timeoutsmtpd")
    assert not path.exists()
    change = write_control("timeoutsmtpd", "300")
    assert change["before"] == ""
    undo(change)
    assert not path.exists()


def test_a_removal_is_undone_by_writing_the_file_back(roots):
    change = write_control("databytes", "")
    assert change["action"] == "remove" and not roots.control("databytes").exists()
    undo(change)
    assert roots.control("databytes").read_text() == "2000\n"


def test_refuses_to_remove_a_file_qmail_needs(roots):
    current = roots.control("me").read_text()
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call(RESTORE, {"target": "control/me", "content": "", "expect": sha(current)})
    assert refused.value.kind == "invalid" and "cannot be left empty" in refused.value.message
    assert roots.control("me").read_text() == current


@pytest.mark.parametrize(
    "target",
    ["control/../../etc/passwd", "control/concurrencylocal", "alias/.qmail-root", "service qmail-send/run"],
)
def test_refuses_files_the_panel_does_not_manage(roots, target):
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call(RESTORE, {"target": target, "content": "x\n", "expect": None})
    assert refused.value.kind == "invalid" and refused.value.field == "target"


def _primary(**changes: object) -> dict[str, object]:
    return {"port": 25, "rbl_zones": [], "auth_mode": "auth_optional/tls_optional", **changes}


def write_primary(**changes: object) -> dict[str, str]:
    data = agent.call("agent.mta.write_smtpd", {"service": "qmail-smtpd", "params": _primary(**changes)})
    [change] = data["changes"]
    return change


def test_restores_the_run_script_the_panel_wrote_before(roots):
    run = roots.service_dir("qmail-smtpd") / "run"
    original = run.read_text()
    change = write_primary(rbl_zones=["zen.spamhaus.org"])
    assert "zen.spamhaus.org" in run.read_text()
    assert undo(change)[0]["after"] == original
    assert run.read_text() == original
    assert run.stat().st_mode & 0o777 == 0o755


def test_refuses_a_run_script_edited_since(roots):
    run = roots.service_dir("qmail-smtpd") / "run"
    change = write_primary(rbl_zones=["zen.spamhaus.org"])
    edited = run.read_text() + "# tuned by hand\n"
    run.write_text(edited)
    with pytest.raises(agent.AgentRefused) as refused:
        undo(change)
    assert refused.value.kind == "conflict"
    assert run.read_text() == edited


def test_refuses_a_run_script_the_panel_did_not_write(roots):
    run = roots.service_dir("qmail-smtpd") / "run"
    current = run.read_text()
    by_hand = "#!/bin/sh\nexec tcpserver -v -R 0 25 qmail-smtpd 2>&1\n"
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call(RESTORE, {"target": "service qmail-smtpd/run", "content": by_hand, "expect": sha(current)})
    assert refused.value.kind == "invalid" and "not written by the panel" in refused.value.message
    assert run.read_text() == current


@pytest.mark.parametrize("field, value", [("user", "root"), ("checkpassword", "/bin/true")])
def test_refuses_a_run_script_with_identities_that_are_not_the_agents(roots, field, value):
    # A panel-rendered script that would run qmail-smtpd as root, or accept any password.
    run = roots.service_dir("qmail-smtpd") / "run"
    current = run.read_text()
    params = runscript.parse_smtpd(current, roots).params
    assert isinstance(params, SmtpdParams)
    forged = runscript.render_smtpd(dataclasses.replace(params, **{field: value}), roots)
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call(RESTORE, {"target": "service qmail-smtpd/run", "content": forged, "expect": sha(current)})
    assert refused.value.kind == "invalid" and field in refused.value.message
    assert run.read_text() == current
