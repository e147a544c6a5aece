"""The SMTP rules under the sandboxed agent unit: in a directory of their own they are the panel's
to change; left in the read-only /etc, a save that needs them says so and changes nothing.

ReadWritePaths cannot name a glob, and a file bound on its own cannot be renamed over, so the
unit opens NODEWORX_TCPRULES_DIR=/etc/tcprules.d whole and /etc not at all. The operations run
under the unit's restrictions rebuilt as in tests/deploy/test_agent_unit.py.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mailserver.agent.config import load
from mailserver.demo.builder import build
from tests.deploy.test_agent_unit import (
    PREPARE,
    SETTINGS,
    _run_agent,
    _server,
    load_roots,
    needs_namespaces,
)
from tests.deploy.unit_file import capabilities, environment, may_write, optional

OWN_DIR = "/etc/tcprules.d"  # tcprules.SANDBOX_DIR, the directory the unit opens


@pytest.fixture
def own_rules_dir(monkeypatch: pytest.MonkeyPatch) -> str:
    """The agent's environment (and the prepare step's: the unit's EnvironmentFile) names it."""
    monkeypatch.setenv("NODEWORX_TCPRULES_DIR", OWN_DIR)
    return OWN_DIR


@pytest.fixture
def rules_in_etc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NODEWORX_TCPRULES_DIR", raising=False)


def _with_simscan(root: Path) -> None:
    """simscan installed (stand-ins, tests only), so SMTP-level scanning edits tcp.smtp."""
    roots = load_roots(root)
    for name in ("simscan", "simscanmk"):
        (roots.qmail / "bin" / name).write_text(f"#!/bin/sh\n# test stand-in for {name}\nexit 0\n")
        (roots.qmail / "bin" / name).chmod(0o755)


def test_the_unit_lets_the_agent_write_the_rules_in_their_own_directory(monkeypatch, own_rules_dir):
    for name, value in {**environment(SETTINGS), "NODEWORX_SERVER_ROOT": "/"}.items():
        monkeypatch.setenv(name, value)
    roots = load().roots
    source, cdb = roots.rules("smtp")
    assert source == Path(OWN_DIR) / "tcp.smtp"
    writes = [*roots.rules("smtp"), *roots.rules("submission")]
    writes += [source.with_name(".tcp.smtp.tmp-1234"), cdb.with_name("tcp.smtp.cdb.tmp")]  # the renames
    assert [path for path in writes if not may_write(SETTINGS, path)] == []
    assert not may_write(SETTINGS, Path("/etc/passwd"))
    assert not may_write(SETTINGS, Path("/etc/tcp.smtp"))
    # "-": a host whose rules are still in /etc, without the directory, starts the agent all the same.
    assert Path(OWN_DIR) in optional(SETTINGS, "ReadWritePaths")


@needs_namespaces
def test_smtp_level_scanning_is_switched_under_the_unit_once_the_rules_are_moved_to_their_own_directory(
    tmp_path, monkeypatch, rules_in_etc
):
    root = _server(tmp_path / "server")  # an existing host: rules in /etc, run scripts reading them
    _with_simscan(root)
    in_etc = {path.name: path.read_bytes() for path in (root / "etc").glob("tcp.*")}
    # README's steps: copy the rules, set the variable, restart the agent (the prepare step first).
    own = root / "etc/tcprules.d"
    own.mkdir(mode=0o755)
    for name in ("tcp.smtp", "tcp.smtp.cdb"):
        shutil.copy2(root / "etc" / name, own / name)
    monkeypatch.setenv("NODEWORX_TCPRULES_DIR", OWN_DIR)
    subprocess.run([str(PREPARE), str(root)], check=True, timeout=30)
    roots = load_roots(root)
    simscan = roots.qmail_program("simscan")
    result = _run_agent(
        root,
        [
            ["simscan.write", {"spam": True, "clam": True}],
            # The SMTP box saved as it stands, confirmed: a script reading a cdb outside the rules'
            # directory is not what the panel would write now. It then reads the moved cdb.
            ["mta.write_smtpd", {"service": "qmail-smtpd", "params": {}, "replace_hand_edit": True}],
            # the alternate server: created with the rules the prepare step made beside tcp.smtp
            ["mta.write_smtpd", {"service": "qmail-submission", "params": {"port": "587"}}],
        ],
        probes=[str(root / "etc/probe")],
        caps=capabilities(SETTINGS),
    )
    assert [call for call in result["calls"] if not call["ok"]] == []
    source, cdb = roots.rules("smtp")
    assert source.parent == own
    assert f'QMAILQUEUE="{simscan}"' in source.read_text()
    assert str(simscan).encode() in cdb.read_bytes()  # tcprules rebuilt the cdb tcpserver reads
    assert (roots.control_dir / "simcontrol").read_text().startswith(":clam=yes,spam=yes,")
    answer = result["calls"][0]["answer"]
    assert answer["state"]["spam_active"] and answer["state"]["clam_active"]
    for service, name in (("qmail-smtpd", "smtp"), ("qmail-submission", "submission")):
        run = (roots.service_dir(service) / "run").read_text()
        assert f"TCPRULES_CDB={own}/tcp.{name}.cdb\n" in run
    assert roots.rules("submission")[0].read_text() == ":allow\n"
    # /etc itself stays read-only, and what the admin left there is as it was (theirs to remove).
    assert {path.name: path.read_bytes() for path in (root / "etc").glob("tcp.*")} == in_etc
    assert result["probes"] == {str(root / "etc/probe"): "EROFS"}


@needs_namespaces
def test_with_the_rules_in_etc_the_save_says_the_sandbox_keeps_etc_read_only(tmp_path, rules_in_etc):
    root = _server(tmp_path / "server")
    _with_simscan(root)
    roots = load_roots(root)
    source, cdb = roots.rules("smtp")
    before = source.read_bytes(), cdb.read_bytes()
    for path in roots.rules("submission"):  # made by the prepare step; gone since
        path.unlink()
    result = _run_agent(
        root,
        [
            ["simscan.write", {"spam": True}],
            ["mta.write_smtpd", {"service": "qmail-submission", "params": {"port": "587"}}],
        ],
        probes=[],
        caps=capabilities(SETTINGS),
    )
    call, create = result["calls"]
    assert call["ok"] is False
    error = call["error"]
    assert error.startswith(f"QmailError: Not saved: the agent's sandbox keeps {root}/etc read-only, ")
    assert "QMAILQUEUE for SMTP-level scanning cannot be written to tcp.smtp there" in error
    assert f"set NODEWORX_TCPRULES_DIR={OWN_DIR}" in error
    assert f'Or by hand: set QMAILQUEUE="{roots.qmail_program("simscan")}"' in error
    assert "Read-only file system" not in error  # said before anything was tried
    assert (source.read_bytes(), cdb.read_bytes()) == before
    assert not (roots.control_dir / "simcontrol").exists()
    # The other write of the rules: a new alternate server's ":allow" rules, refused the same way,
    # and the half-made service taken away again.
    assert create["ok"] is False
    assert (
        f"the agent's sandbox keeps {root}/etc read-only, so the new service's :allow rules cannot be "
        "written to tcp.submission there"
    ) in create["error"]
    assert not roots.service_dir("qmail-submission").is_symlink()
    assert not (roots.qmail / "supervise/qmail-submission").exists()


def test_prepare_makes_the_rules_of_a_new_service_in_their_own_directory(tmp_path, own_rules_dir):
    root = tmp_path / "server"
    roots = load_roots(root)
    build(roots, smtpd_user="nobody", log_user="nobody")
    roots.service_dir("qmail-submission").unlink()
    for path in roots.rules("submission"):
        path.unlink()
    subprocess.run([str(PREPARE), str(root)], check=True, timeout=30)
    assert roots.rules("submission")[0].read_text() == ":allow\n"
    assert roots.rules("submission")[1].stat().st_size > 0
    assert not (root / "etc/tcp.submission").exists()
    # On a fresh host the directory is made for it.
    for path in roots.tcprules.iterdir():
        path.unlink()
    roots.tcprules.rmdir()
    roots.service_dir("qmail-smtpd").unlink()
    subprocess.run([str(PREPARE), str(root)], check=True, timeout=30)
    assert sorted(p.name for p in roots.tcprules.iterdir()) == [
        "tcp.smtp", "tcp.smtp.cdb", "tcp.submission", "tcp.submission.cdb"
    ]  # fmt: skip


def test_prepare_refuses_to_start_the_agent_while_a_services_rules_are_still_in_etc(tmp_path):
    root = tmp_path / "server"
    build(load_roots(root), smtpd_user="nobody", log_user="nobody")  # rules in ROOT/etc
    done = subprocess.run(
        [str(PREPARE), str(root)],
        env={"PATH": "/usr/bin:/bin", "NODEWORX_TCPRULES_DIR": OWN_DIR},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert (
        f"NODEWORX_TCPRULES_DIR is {OWN_DIR}, but the rules of qmail-smtpd are still in /etc "
        f"(tcp.smtp.cdb): copy them to {OWN_DIR} first (README, Production)"
    ) in done.stderr
    assert not (root / "etc/tcprules.d").exists()
