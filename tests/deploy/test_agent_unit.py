"""The agent's systemd unit: a valid, tight sandbox in which the agent still manages qmail.

There is no systemd PID 1 here, so: systemd-analyze verifies both units; the paths the
agent writes are derived from its configuration and checked against the unit's writable
paths; and the agent's real operations run against a test server under the unit's own
restrictions rebuilt with the same kernel features (tests/deploy/sandbox.py), where they
must succeed, everything else must be read-only, and each capability must be needed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mailserver.agent.config import BASE_DIR, load
from mailserver.demo.builder import build
from mailserver.qmail import atomic, doublebounce, services
from mailserver.qmail.paths import Roots
from tests.deploy.sandbox import run_sandboxed
from tests.deploy.unit_file import capabilities, environment, service_settings, writable
from tests.support.svscan import running_svscan

UNITS = BASE_DIR / "deploy/systemd"
AGENT_UNIT = UNITS / "nodeworx-agent.service"
PREPARE = UNITS / "nodeworx-agent-prepare"
DAEMONTOOLS_RUN = BASE_DIR / "deploy/daemontools/nodeworx-agent/run"
SETTINGS = service_settings(AGENT_UNIT)
NOBODY = pwd.getpwnam("nobody")
START, END = "1795611600", "1795615200"  # the captured logs' hour
SLEEP = shutil.which("sleep") or "/bin/sleep"
FIVE_MB = atomic.sha256_hex(b"5000000\n")

needs_namespaces = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare") or not Path("/usr/bin/setpriv").exists(),
    reason="needs root, unshare and setpriv",
)


def inside(root: Path, path: Path | str) -> Path:
    """Where an absolute path of the mail host lies in the test server."""
    return root / Path(path).relative_to("/")


def under_any(path: Path, directories: list[Path]) -> bool:
    return any(path == d or d in path.parents for d in directories)


def load_roots(root: Path) -> Roots:
    """The roots the agent derives from NODEWORX_SERVER_ROOT=root."""
    return dataclasses.replace(load(), server_root=root).roots


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze (Debian's systemd)")
@pytest.mark.parametrize(
    "unit", ["nodeworx-agent.service", "nodeworx-agent-reads.service", "nodeworx-web.service"]
)
def test_unit_passes_systemd_analyze_verify_without_a_warning(unit, tmp_path):
    # verify exits 0 even on unknown keys or relative paths: any output is a defect.
    copy = tmp_path / unit
    copy.write_text((UNITS / unit).read_text().replace("/opt/nodeworx", str(BASE_DIR)))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert done.stdout + done.stderr == ""


def test_every_path_the_agent_writes_is_writable_in_the_unit(monkeypatch):
    from mailserver.agent.transaction import LOCK_NAME

    for name, value in {**environment(SETTINGS), "NODEWORX_SERVER_ROOT": "/"}.items():
        monkeypatch.setenv(name, value)
    config = load()
    roots = config.roots
    writes = [
        roots.control("databytes"),  # and its temp file beside it
        roots.alias(doublebounce.DISCARD_ALIAS),
        roots.qmail / LOCK_NAME,
        roots.qmail / "supervise/qmail-submission/log/run",  # a service the page creates
        roots.service_dir("qmail-submission"),
        roots.service_dir("qmail-send") / "down",
        roots.service_dir("qmail-send") / "supervise/control",  # svc writes this fifo
        roots.log_dir("submission"),
        config.state_dir / "nonces.sqlite3",
        config.server_root / "var/cache/nodeworx/qmail-logs",
    ]
    allowed = writable(SETTINGS)
    assert [path for path in writes if not under_any(path, allowed)] == []
    # /etc stays read-only: the rules of a service yet to be created are made by the prepare step.
    assert not under_any(roots.rules("submission")[1], allowed)
    assert SETTINGS["ExecStartPre"] == [f"+/opt/nodeworx/{PREPARE.relative_to(BASE_DIR)} /"]


def test_the_daemontools_run_script_has_the_same_bounding_set():
    found = re.search(r"--bounding-set (\S+)", DAEMONTOOLS_RUN.read_text())
    assert found is not None
    assert found.group(1) == ",".join(["-all", *(f"+{cap}" for cap in capabilities(SETTINGS))])
    assert "--no-new-privs" in DAEMONTOOLS_RUN.read_text()
    assert SETTINGS["NoNewPrivileges"] == ["yes"]


# --- the agent's operations under the unit's restrictions -------------------------------------


def _server(root: Path) -> Path:
    """A test mail host shaped to need every capability, with no alternate SMTP server yet."""
    roots = load_roots(root)
    build(roots, smtpd_user="nobody", log_user="nobody")
    # Files of qmail's users: rewriting keeps their owner (chown) and then their mode (fowner);
    # the alias directory and a 0640 file of another user need dac_override.
    me = roots.control("me")
    os.chown(me, NOBODY.pw_uid, NOBODY.pw_gid)
    me.chmod(0o640)
    os.chown(roots.qmail / "alias", NOBODY.pw_uid, NOBODY.pw_gid)
    (roots.qmail / "alias").chmod(0o755)
    roots.service_dir("qmail-submission").unlink()
    shutil.rmtree(roots.qmail / "supervise/qmail-submission")
    shutil.rmtree(roots.log_dir("submission"))
    for path in roots.rules("submission"):
        path.unlink()
    for name, text in {
        "qmail-start": "#!/bin/sh\n# test stand-in for qmail-start\nexec qmail-send\n",
        "qmail-send": f"#!/bin/sh\n# test stand-in for qmail-send\nexec {SLEEP} 1000\n",
    }.items():
        (roots.qmail / "bin" / name).write_text(text)
        (roots.qmail / "bin" / name).chmod(0o755)
    for down in (roots.service_dir("qmail-send") / "down", roots.service_dir("qmail-send") / "log/down"):
        down.unlink()
    # What systemd does before the agent starts: ExecStartPre=+, StateDirectory=, CacheDirectory=.
    subprocess.run([str(PREPARE), str(root)], check=True, timeout=30)
    for directory in writable(SETTINGS):
        if directory.parent in (Path("/var/lib"), Path("/var/cache")):
            inside(root, directory).mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def _run_agent(root: Path, calls: list[list[object]], probes: list[str], caps: list[str]) -> dict:
    env = {
        **os.environ,
        **environment(SETTINGS),
        "NODEWORX_SERVER_ROOT": str(root),
        "NODEWORX_AGENT_STATE": str(inside(root, environment(SETTINGS)["NODEWORX_AGENT_STATE"])),
        "NODEWORX_SMTPD_USER": "nobody",
        "NODEWORX_LOG_USER": "nobody",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("NODEWORX_QMAIL_LOG_CACHE", None)
    spec = {
        "families": SETTINGS["RestrictAddressFamilies"],
        "mdwe": SETTINGS["MemoryDenyWriteExecute"] == ["yes"],
        "calls": calls,
        "probes": probes,
    }
    done = run_sandboxed(
        [sys.executable, "-m", "tests.deploy.agent_in_sandbox", json.dumps(spec)],
        writable=[inside(root, path) for path in writable(SETTINGS)],
        read_only=[root],
        caps=caps,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


WRITES = [
    ["mta.read_state", {}],
    [
        "mta.write_controls",
        {
            "files": {"me": {"value": "mx.sandbox.example"}, "databytes": {"value": "5000000"}},
            "double_bounce_discard": True,
        },
    ],
    ["mta.write_smtpd", {"service": "qmail-smtpd", "params": {"port": "2525"}, "replace_hand_edit": True}],
    ["mta.write_smtpd", {"service": "qmail-submission", "params": {"port": "587"}}],
]


@needs_namespaces
def test_the_agent_manages_qmail_inside_the_units_sandbox(tmp_path):
    root = _server(tmp_path / "server")
    with running_svscan(root / "service", tmp_path / "svscan.log"):
        services.wait_until(load_roots(root), "qmail-send", lambda s: s.supervised, timeout=10)
        result = _run_agent(
            root,
            [
                *WRITES,
                # databytes back to what it was: the change log's "restore" of the write above
                ["restore.file", {"target": "control/databytes", "content": "2000\n", "expect": FIVE_MB}],
                ["service.control", {"service": "qmail-send", "action": "up"}],
                ["service.boot", {"service": "qmail-send", "enabled": False}],
                ["logs.report", {"period": {"start": START, "end": END}, "report": "show-failures"}],
                ["logs.message", {"id": 1466718, "at": 1795613601}],  # indexes a rotated log: the cache
                ["service.status", {}],
            ],
            probes=[
                str(root / "var/qmail/bin/probe"),
                str(root / "var/qmail/queue/probe"),
                str(root / "var/qmail/probe"),
                str(root / "etc/probe"),
                str(root / "probe"),
            ],
            caps=capabilities(SETTINGS),
        )
        roots = load_roots(root)
        status = services.wait_until(roots, "qmail-send", "up", timeout=10)
        assert status.up
        services.control(roots, "qmail-send", "down")
    assert [call for call in result["calls"] if not call["ok"]] == []
    me = roots.control("me")
    assert me.read_text() == "mx.sandbox.example\n"
    assert (me.stat().st_uid, me.stat().st_mode & 0o777) == (NOBODY.pw_uid, 0o640)
    assert roots.alias(doublebounce.DISCARD_ALIAS).read_bytes() == doublebounce.DISCARD_CONTENT
    assert roots.control("databytes").read_text() == "2000\n"
    assert "2525" in (roots.service_dir("qmail-smtpd") / "run").read_text()
    assert roots.service_dir("qmail-submission").is_symlink()
    assert roots.log_dir("submission").stat().st_uid == NOBODY.pw_uid
    assert (roots.service_dir("qmail-send") / "down").exists()
    assert any((root / "var/cache/nodeworx/qmail-logs").iterdir())
    assert any(inside(root, environment(SETTINGS)["NODEWORX_AGENT_STATE"]).parent.iterdir())
    assert result["probes"] == dict.fromkeys(result["probes"], "EROFS")


@needs_namespaces
@pytest.mark.parametrize("dropped", capabilities(SETTINGS))
def test_each_capability_of_the_bounding_set_is_needed(tmp_path, dropped):
    root = _server(tmp_path / "server")
    caps = [cap for cap in capabilities(SETTINGS) if cap != dropped]
    result = _run_agent(root, WRITES, probes=[], caps=caps)
    failures = [call["error"] for call in result["calls"] if not call["ok"]]
    assert failures, f"every write succeeded without {dropped}: it need not be in the bounding set"
    # Some refusals follow from an unreadable file ("control/me is missing"); one at least is the denial.
    assert any("PermissionError" in error for error in failures), failures


@needs_namespaces
def test_without_netlink_the_mta_page_cannot_be_read(tmp_path):
    # The one address family a reader might drop as unused: getifaddrs needs it.
    root = _server(tmp_path / "server")
    families = [f for f in SETTINGS["RestrictAddressFamilies"] if f != "AF_NETLINK"]
    assert families != SETTINGS["RestrictAddressFamilies"]
    spec = {"families": families, "calls": [["mta.read_state", {}]], "probes": []}
    done = subprocess.run(
        [sys.executable, "-m", "tests.deploy.agent_in_sandbox", json.dumps(spec)],
        cwd=BASE_DIR,
        env={**os.environ, "NODEWORX_SERVER_ROOT": str(root), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # seccomp needs no_new_privs or CAP_SYS_ADMIN: root has the latter here.
    assert done.returncode == 0, done.stderr[-2000:]
    (call,) = json.loads(done.stdout)["calls"]
    assert call["ok"] is False
    assert "Address family not supported" in call["error"]


def test_prepare_makes_rules_only_for_a_service_that_does_not_exist_yet(tmp_path):
    root = tmp_path / "server"
    roots = load_roots(root)
    build(roots, smtpd_user="nobody", log_user="nobody")
    roots.rules("smtp")[1].unlink()  # qmail-smtpd exists: its missing cdb is the admin's business
    roots.service_dir("qmail-submission").unlink()
    for path in roots.rules("submission"):
        path.unlink()
    subprocess.run([str(PREPARE), str(root)], check=True, timeout=30)
    subprocess.run([str(PREPARE), str(root)], check=True, timeout=30)  # twice: nothing more
    assert not roots.rules("smtp")[1].exists()
    assert roots.rules("submission")[0].read_text() == ":allow\n"
    assert roots.rules("submission")[1].stat().st_size > 0
    lock = roots.qmail / ".nodeworx-agent.lock"
    assert lock.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in root.joinpath("etc").iterdir()) == [
        "tcp.smtp",
        "tcp.submission",
        "tcp.submission.cdb",
    ]


def test_prepare_refuses_a_host_without_qmail(tmp_path):
    done = subprocess.run([str(PREPARE), str(tmp_path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert f"{tmp_path}/var/qmail/control is missing" in done.stderr
    assert list(tmp_path.iterdir()) == []
