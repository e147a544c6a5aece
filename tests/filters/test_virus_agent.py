"""The Virus Filtering operations against Debian's real ClamAV, offline, under the session's svscan.

clamd loads a database directory holding a one-line EICAR signature (no update server is
reachable here); pyclamd asks it through its socket; freshclam really tries to update and
fails, and the page reads that failure from its log.
"""

from __future__ import annotations

import subprocess

import pytest

from mailserver.core import agent
from mailserver.protocol import Op
from tests.support import daemons

pytestmark = pytest.mark.integration


def test_clamd_finds_eicar_through_pyclamd(clamav_running):
    answer = agent.call(Op.VIRUS_SCAN_EICAR)
    assert answer["found"] is True
    assert answer["signature"] == "Eicar-Test-Signature.UNOFFICIAL"


def test_state_says_clamd_answers_and_what_it_loaded(clamav_running):
    state = agent.call(Op.VIRUS_READ_STATE)
    assert state["services"]["clamd"]["state"] == "up"
    clamd = state["clamd"]
    assert clamd["answering"] is True
    assert clamd["engine"] == subprocess.run(
        ["/usr/sbin/clamd", "--version"], capture_output=True, text=True, check=True
    ).stdout.strip().removeprefix("ClamAV ")
    assert clamd["daily_version"] is None  # no daily database: VERSION names none
    assert state["databases"] == {"main": None, "daily": None, "bytecode": None}
    assert state["local_signatures"] == [{"file": "test.hdb", "signatures": 1}]
    assert state["config"]["databases_to_load"] is True


def test_database_headers_come_from_the_files_clamd_loads(clamav_running):
    """A daily database built with sigtool (unsigned, as no signing key exists here): its header
    is what the page shows, and clamd, reloaded, reports the same version."""
    work = clamav_running.databases.parent / "build-daily"
    work.mkdir(exist_ok=True)
    (work / "daily.hdb").write_text(daemons.EICAR_SIGNATURE.replace("Eicar-Test-Signature", "Daily.Eicar"))
    (work / "COPYING").write_text("test database\n")
    subprocess.run(
        ["/usr/bin/sigtool", "--build=daily.cud", "--unsigned", "--cvd-version=27500"],
        input="nodeworx\n", text=True, cwd=work, capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    target = clamav_running.databases / "daily.cud"
    (work / "daily.cud").rename(target)
    try:
        info = subprocess.run(
            ["/usr/bin/sigtool", f"--info={target}"], capture_output=True, text=True, check=True
        )
        state = agent.call(Op.VIRUS_READ_STATE)
        daily = state["databases"]["daily"]
        assert daily["file"] == "daily.cud"
        assert f"Version: {daily['version']}" in info.stdout and daily["version"] == 27500
        assert f"Signatures: {daily['signatures']}" in info.stdout and daily["signatures"] == 1
        assert f"Build time: {daily['build_time'].replace('-', ':', 1)}" in info.stdout
        assert daily["signed"] is False

        daemons.stop(clamav_running.roots, "clamd")
        daemons.start(clamav_running.roots, "clamd")
        clamd = daemons.wait_for(
            lambda: (c := agent.call(Op.VIRUS_READ_STATE)["clamd"])["answering"] and c, 30, "clamd"
        )
        assert clamd["daily_version"] == 27500
    finally:
        target.unlink(missing_ok=True)
        subprocess.run(["rm", "-rf", str(work)], check=False)
        daemons.stop(clamav_running.roots, "clamd")
        daemons.start(clamav_running.roots, "clamd")
        daemons.wait_for(lambda: agent.call(Op.VIRUS_READ_STATE)["clamd"]["answering"], 30, "clamd")


def test_freshclams_failed_update_is_shown_plainly(clamav_running):
    log = clamav_running.roots.system / "var/log/clamav/freshclam.log"
    daemons.start(clamav_running.roots, "freshclam")
    try:
        daemons.wait_for(
            lambda: log.exists() and "Update failed" in log.read_text(), 60, "freshclam's attempt"
        )
        fresh = agent.call(Op.VIRUS_READ_STATE)["freshclam"]
        assert fresh["log"] == str(log)
        assert fresh["result"] == "failed"
        assert fresh["started"] is not None
        assert any("Update failed" in error for error in fresh["errors"])
        assert fresh["lines"][0].startswith("ClamAV update process started at ")
    finally:
        daemons.stop(clamav_running.roots, "freshclam")


def test_a_stopped_clamd_is_said_plainly_and_the_scan_refused(clamav_running):
    daemons.stop(clamav_running.roots, "clamd")
    try:
        state = agent.call(Op.VIRUS_READ_STATE)
        assert state["clamd"]["answering"] is False
        assert "does not answer" in state["clamd"]["error"]
        with pytest.raises(agent.AgentError) as refused:
            agent.call(Op.VIRUS_SCAN_EICAR)
        assert refused.value.kind == "failed"
        assert "clamd does not answer" in refused.value.message
    finally:
        daemons.start(clamav_running.roots, "clamd")
        daemons.wait_for(clamav_running.socket.exists, 30, "clamd's socket")
