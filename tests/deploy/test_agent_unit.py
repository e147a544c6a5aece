"""The agent's systemd unit: a valid, tight sandbox in which the agent still manages qmail.

There is no systemd PID 1 here, so: systemd-analyze verifies the units; the paths the
agent writes are derived from its configuration and checked against the unit's writable
paths; and the agent's real operations (the MTA's, the queue's, SpamAssassin's with its lint
and sa-learn run as spamd's user, Courier's, the IMAP training's) run against a test server
under the unit's own restrictions rebuilt with the same kernel features
(tests/deploy/sandbox.py), where they must succeed, everything else must be read-only, and
each capability must be needed. Those tests need root, unshare and setpriv, and are skipped
without them.
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
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailserver.agent.config import BASE_DIR, load
from mailserver.courier import config as courier_config
from mailserver.demo.builder import build
from mailserver.qmail import atomic, doublebounce, services
from mailserver.qmail.hostpath import system_path
from mailserver.qmail.paths import Roots
from mailserver.spamassassin import site, spamd
from tests.deploy.sandbox import run_sandboxed
from tests.deploy.unit_file import (
    capabilities,
    environment,
    may_write,
    optional,
    read_only,
    service_settings,
    writable,
)
from tests.support import daemons
from tests.support.svscan import running_svscan

UNITS = BASE_DIR / "deploy/systemd"
AGENT_UNIT = UNITS / "nodeworx-agent.service"
PREPARE = UNITS / "nodeworx-agent-prepare"
DAEMONTOOLS_RUN = BASE_DIR / "deploy/daemontools/nodeworx-agent/run"
SETTINGS = service_settings(AGENT_UNIT)
NOBODY = pwd.getpwnam("nobody")
MAILBOX_OWNER = 1234  # vpopmail's mailboxes belong to one unprivileged user
START, END = "1795611600", "1795615200"  # the captured logs' hour
SLEEP = shutil.which("sleep") or "/bin/sleep"
FIVE_MB = atomic.sha256_hex(b"5000000\n")

needs_namespaces = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare") or not Path("/usr/bin/setpriv").exists(),
    reason="needs root, unshare and setpriv",
)
needs_filters = pytest.mark.skipif(
    not all(Path(daemons.PROGRAMS[name]).exists() for name in ("spamassassin", "sa-learn"))
    or not Path("/etc/courier/imapd").exists()
    or not Path("/usr/bin/setuidgid").exists(),
    reason="needs Debian's spamassassin and Courier IMAP (their files are copied into the test server)",
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
    "unit",
    [
        "nodeworx-agent.service",
        "nodeworx-agent-reads.service",
        "nodeworx-watchdog.service",
        "nodeworx-web.service",
    ],
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
    spamd_home = Path(spamd.configured(roots)[0].home_dir)
    maildir = Path("/home/vpopmail/domains/example.test/alice/Maildir")
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
        # The queue: a purge, delete or expire; a reset's new queue and the old one moved aside.
        roots.queue_dir / "mess/8/1466718",
        roots.qmail / ".queue.new-1234",
        roots.qmail / "queue.bad-20261201-120000",
        # local.cf and the IMAP training's settings, in Debian's site directory or upstream's.
        *(system_path(roots, place) / "local.cf" for place in site.LOCATIONS),
        *(system_path(roots, place) / "nodeworx-imap-training" for place in site.LOCATIONS),
        spamd_home / "bayes/bayes_toks",  # the global Bayes database
        spamd_home / "users/alice@example.test/bayes_toks",  # a mailbox's own
        *(system_path(roots, place) / "imapd" for place in courier_config.LOCATIONS),
        maildir / ".Learn Spam/new",
        maildir / "courierimapsubscribed",
        Path("/home/alice/Maildir/.Learn Ham"),  # a system user's
    ]
    assert [path for path in writes if not may_write(SETTINGS, path)] == []
    never = [
        roots.qmail_program("qmail-queue"),  # qmail's programs, inside the writable /var/qmail
        roots.qmail / "users/assign",
        Path(config.checkpassword),  # /home/vpopmail/bin/vchkpw: only checked
        Path("/etc/passwd"),
        Path("/usr/bin/sa-learn"),
        # /etc stays read-only: the rules of a service yet to be created are made by the prepare
        # step, and the SMTP rules are not written from inside the unit at all (see the unit).
        *roots.rules("submission"),
        *roots.rules("smtp"),
    ]
    assert [path for path in never if may_write(SETTINGS, path)] == []
    # Only qmail's own directories must exist: a host without SpamAssassin, Courier or /home
    # still starts the agent (systemd refuses to start a unit naming a missing path without "-").
    required = {path for path in writable(SETTINGS) if path not in optional(SETTINGS, "ReadWritePaths")}
    assert required == {
        roots.qmail, roots.service, roots.log, Path("/var/lib/nodeworx-agent"), Path("/var/cache/nodeworx")
    }  # fmt: skip
    assert {*read_only(SETTINGS)} - optional(SETTINGS, "ReadOnlyPaths") == {roots.qmail / "bin"}
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
    tmp = root / "tmp"  # the unit's PrivateTmp=: a /tmp of its own (TMPDIR in _run_agent)
    tmp.mkdir(exist_ok=True)
    tmp.chmod(0o1777)
    return root


@pytest.fixture
def host_dir(work_dir: Path) -> Iterator[Path]:
    """A directory for a test server that spamd's user must reach: under the session's work
    directory, since a pytest starting meanwhile makes /tmp/pytest-of-root private again."""
    directory = Path(tempfile.mkdtemp(dir=work_dir, prefix="sandbox-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def _filters(roots: Roots) -> None:
    """What a host with the filters has: SpamAssassin (its site's *.pre files, spamd's home,
    spamassassin and sa-learn), Courier's imapd files, and a vpopmail mailbox."""
    daemons.open_for_daemons(roots)  # spamd's user reads lint's copy and writes Bayes files here
    daemons.link_programs(roots, "spamassassin", "sa-learn")
    daemons.spamassassin_site(roots)
    daemons.courier_files(roots, 1143, 1993)  # never started: only its files are written
    home = roots.system / "home/vpopmail/domains/example.test/alice"
    for sub in ("cur", "new", "tmp"):
        (home / "Maildir" / sub).mkdir(parents=True)
    for path in (home, home / "Maildir", *(home / "Maildir").iterdir()):
        os.chown(path, MAILBOX_OWNER, MAILBOX_OWNER)
    (roots.system / "home/vpopmail/bin").mkdir()


def _learn_spam_folder(roots: Roots, count: int) -> Path:
    """The mailbox's "Learn Spam" folder, as the admin's IMAP client leaves it: ``count`` messages."""
    folder = roots.system / "home/vpopmail/domains/example.test/alice/Maildir/.Learn Spam"
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True)
    for number in range(count):
        words = " ".join(f"spamword{i} spamtoken{number}" for i in range(40))
        (folder / f"new/{int(time.time())}.{number}.host:2,S").write_text(
            f"From: sender{number}@example.org\nTo: alice@example.test\nSubject: spam {number}\n"
            f"Message-ID: <spam{number}@example.org>\nDate: Tue, 1 Dec 2026 10:00:0{number} +0000\n"
            f"\n{words}\n"
        )
    for path in (folder, *folder.iterdir(), *folder.glob("*/*")):
        os.chown(path, MAILBOX_OWNER, MAILBOX_OWNER)
    return folder


def _run_agent(root: Path, calls: list[list[object]], probes: list[str], caps: list[str]) -> dict:
    env = {
        **os.environ,
        **environment(SETTINGS),
        "NODEWORX_SERVER_ROOT": str(root),
        "NODEWORX_AGENT_STATE": str(inside(root, environment(SETTINGS)["NODEWORX_AGENT_STATE"])),
        "NODEWORX_SMTPD_USER": "nobody",
        "NODEWORX_LOG_USER": "nobody",
        "PYTHONDONTWRITEBYTECODE": "1",
        "TMPDIR": str(root / "tmp"),
    }
    env.pop("NODEWORX_QMAIL_LOG_CACHE", None)
    spec = {
        "families": SETTINGS["RestrictAddressFamilies"],
        "mdwe": SETTINGS["MemoryDenyWriteExecute"] == ["yes"],
        "calls": calls,
        "probes": probes,
    }

    def present(paths: list[Path], key: str) -> list[Path]:
        # As systemd does: a "-" path that is missing is left out; any other must exist.
        skip = optional(SETTINGS, key)
        return [inside(root, p) for p in paths if p not in skip or inside(root, p).exists()]

    done = run_sandboxed(
        [sys.executable, "-m", "tests.deploy.agent_in_sandbox", json.dumps(spec)],
        writable=[*present(writable(SETTINGS), "ReadWritePaths"), root / "tmp"],
        read_only=[root],
        read_only_inside=present(read_only(SETTINGS), "ReadOnlyPaths"),
        caps=caps,
        env=env,
        timeout=240,
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
@needs_filters
def test_the_queue_and_the_filters_are_managed_inside_the_units_sandbox(host_dir, tmp_path):
    root = _server(host_dir / "server")
    roots = load_roots(root)
    _filters(roots)
    spam = _learn_spam_folder(roots, 2)
    expired_info = roots.queue_dir / "info/8/1466718"
    born = expired_info.stat().st_mtime
    for name in ("simscan", "simscanmk"):  # installed, so SMTP-level scanning edits tcp.smtp
        (roots.qmail / "bin" / name).write_text(f"#!/bin/sh\n# test stand-in for {name}\nexit 0\n")
        (roots.qmail / "bin" / name).chmod(0o755)
    rules_before = roots.rules("smtp")[0].read_bytes()
    (roots.qmail / "users").mkdir(exist_ok=True)
    with running_svscan(root / "service", tmp_path / "svscan.log"):
        services.wait_until(roots, "qmail-send", lambda s: s.supervised, timeout=10)
        services.control(roots, "qmail-send", "up")
        result = _run_agent(
            root,
            [
                # Each queue change stops qmail-send (svc -d) and starts it again.
                ["queue.delete", {"ids": [1466856]}],
                ["queue.expire", {"ids": [1466718]}],
                ["queue.purge", {"queue": "todo"}],
                ["queue.reset", {"confirm": True}],  # renames queue/ to queue.bad-…, builds a new one
                ["mda.write", {"service": "courier-imapd", "settings": {"connections": 2}}],
                # lint as spamd's user (setuidgid), local.cf, the global Bayes directory
                ["spam.write", {"settings": {"bayes_global": True}}],
                ["spam.write_training", {"enabled": True, "learn_limit": 5}],
                ["spam.train_now", {}],  # sa-learn as spamd's user, the folder emptied
                ["simscan.write", {"spam": True}],
            ],
            probes=[
                str(root / "var/qmail/bin/probe"),
                str(root / "var/qmail/users/probe"),
                str(root / "home/vpopmail/bin/probe"),
                str(root / "etc/probe"),
                str(root / "usr/probe"),
                str(root / "var/lib/probe"),
                str(root / "probe"),
            ],
            caps=capabilities(SETTINGS),
        )
        services.control(roots, "qmail-send", "down")
    failed = {call["op"]: call["error"] for call in result["calls"] if not call["ok"]}
    # The one write the unit does not allow: the SMTP rules left in /etc (NODEWORX_TCPRULES_DIR unset).
    assert "the agent's sandbox keeps" in failed.pop("simscan.write")
    assert failed == {}
    answers = {call["op"]: call["answer"] for call in result["calls"] if call["ok"]}
    assert answers["queue.reset"]["ok"] is True, answers["queue.reset"]["steps"]
    assert answers["spam.write_training"]["folders_created"] == 1  # "Learn Ham"; "Learn Spam" was there
    run = answers["spam.train_now"]["run"]
    assert (run["learned"], run["errors"]) == ({"spam": 2, "ham": 0}, [])
    assert roots.rules("smtp")[0].read_bytes() == rules_before
    assert not (roots.control_dir / "simcontrol").exists()  # the same change: undone with it
    assert result["probes"] == dict.fromkeys(result["probes"], "EROFS")
    # The queue: the deleted message gone, the expired one born a queuelifetime ago, both in the
    # queue the reset moved aside; a fresh, empty queue in its place, owned as qmail's install makes it.
    (moved,) = roots.qmail.glob("queue.bad-*")
    assert not (moved / "mess/8/1466856").exists()
    assert (moved / "info/8/1466718").stat().st_mtime < min(born, time.time() - 604800)
    assert list((moved / "todo").iterdir()) == []
    assert [p for p in roots.queue_dir.glob("mess/*/*")] == []
    assert (roots.queue_dir / "lock/trigger").stat().st_uid == (moved / "lock/trigger").stat().st_uid
    # Courier's file, edited in place.
    assert "\nMAXDAEMONS=2\n" in (roots.system / "etc/courier/imapd").read_text()
    # SpamAssassin: local.cf, the training settings, the global database learned into as spamd's user.
    site_dir = roots.system / "etc/spamassassin"
    assert "bayes_path" in (site_dir / "local.cf").read_text()
    assert "ENABLED=yes" in (site_dir / "nodeworx-imap-training").read_text()
    spamd_user = pwd.getpwnam(spamd.configured(roots)[0].user)
    bayes = roots.system / "var/lib/spamassassin/bayes"
    assert bayes.stat().st_uid == spamd_user.pw_uid
    assert [p.stat().st_uid for p in bayes.glob("bayes_toks*")] == [spamd_user.pw_uid]
    record = inside(root, environment(SETTINGS)["NODEWORX_AGENT_STATE"]) / "imap-training.json"
    assert json.loads(record.read_text())["learned"] == run["learned"]
    assert [p for p in spam.glob("*/*") if p.is_file()] == []
    ham = spam.parent / ".Learn Ham"
    assert ham.stat().st_uid == MAILBOX_OWNER and (ham / "cur").is_dir()


@needs_namespaces
@needs_filters
@pytest.mark.parametrize("dropped", capabilities(SETTINGS))
def test_each_capability_of_the_bounding_set_is_needed(host_dir, dropped):
    root = _server(host_dir / "server")
    _filters(load_roots(root))
    caps = [cap for cap in capabilities(SETTINGS) if cap != dropped]
    # spam.write lints as spamd's user, through setuidgid: the one write that changes users.
    result = _run_agent(root, [*WRITES, ["spam.write", {"settings": {"bayes_auto_learn": False}}]], [], caps)
    failures = [call["error"] for call in result["calls"] if not call["ok"]]
    assert failures, f"every write succeeded without {dropped}: it need not be in the bounding set"
    # Some refusals follow from an unreadable file ("control/me is missing"); one at least is the
    # denial: Python's PermissionError, or setuidgid's "permission denied".
    assert any("PermissionError" in error or "permission denied" in error for error in failures), failures


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
