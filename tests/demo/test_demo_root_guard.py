"""The demo builder wipes control files, queue and logs: it only ever touches a root it made itself."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mailserver.agent.config import BASE_DIR, load
from mailserver.demo.builder import MARKER, NotADemoRoot, build, check_root, demo_root, reset
from mailserver.qmail.paths import Roots


def roots_under(root: Path) -> Roots:
    """The roots the agent derives from NODEWORX_SERVER_ROOT=root."""
    return dataclasses.replace(load(), server_root=root).roots


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root`` with its kind, mode, owner and content hash."""
    entries = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        entries[str(path.relative_to(root))] = f"{st.st_mode:o} {st.st_uid}:{st.st_gid} {digest}"
    return entries


def run_demo(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailserver.demo", str(root), *args],
        cwd=BASE_DIR,
        env={**os.environ, "NODEWORX_SERVER_ROOT": str(root), "NODEWORX_SMTPD_USER": "nobody",
             "NODEWORX_LOG_USER": "nobody", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip


@pytest.fixture
def real_looking_server(tmp_path: Path) -> Path:
    """A tree shaped like a live qmail host: control files, a queued message, a run script."""
    root = tmp_path / "mailhost"
    (root / "var/qmail/control").mkdir(parents=True)
    (root / "var/qmail/control/me").write_text("mx.customer.example\n")
    (root / "var/qmail/control/rcpthosts").write_text("customer.example\n")
    (root / "var/qmail/queue/mess/7").mkdir(parents=True)
    (root / "var/qmail/queue/mess/7/123456").write_text("Subject: an undelivered message\n\nhello\n")
    (root / "service/qmail-smtpd").mkdir(parents=True)
    (root / "service/qmail-smtpd/run").write_text("#!/bin/sh\nexec tcpserver 0 smtp qmail-smtpd\n")
    return root


def test_refuses_this_machines_root():
    with pytest.raises(NotADemoRoot, match=r"Refusing to build the demo mail server in /: .*own root"):
        check_root(Path("/"))
    with pytest.raises(NotADemoRoot):
        build(Roots())  # the stock roots: /var/qmail, /service, /var/log/qmail, /etc


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root and unshare")
def test_the_command_pointed_at_slash_says_why_and_exits_non_zero():
    # Inside a private mount namespace with / read-only: were the guard ever to let this
    # through, the build would fail on EROFS rather than wipe this machine's files.
    command = f"mount -o remount,bind,ro / && exec {sys.executable} -m mailserver.demo /"
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", command],
        cwd=BASE_DIR,
        env={**os.environ, "NODEWORX_SERVER_ROOT": "/"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Refusing to build the demo mail server in /" in done.stderr
    assert "Traceback" not in done.stderr


def test_refuses_a_tree_that_holds_a_real_qmail_server_and_touches_nothing(real_looking_server: Path):
    before = snapshot(real_looking_server)
    done = run_demo(real_looking_server)
    assert done.returncode == 1
    assert "it holds a qmail server (var/qmail/control)" in done.stderr
    assert f"has no {MARKER} mark" in done.stderr
    assert snapshot(real_looking_server) == before


def test_refuses_a_non_empty_directory_it_did_not_make(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("someone's files\n")
    with pytest.raises(NotADemoRoot, match="it already holds files"):
        build(roots_under(tmp_path), smtpd_user="nobody", log_user="nobody")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_refuses_a_root_that_is_a_file(tmp_path: Path):
    (tmp_path / "root").write_text("")
    with pytest.raises(NotADemoRoot, match="not a directory"):
        check_root(tmp_path / "root")


def test_builds_into_an_empty_directory_and_marks_it(tmp_path: Path):
    done = run_demo(tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / MARKER).is_file()
    assert (tmp_path / "var/qmail/control/me").read_text() == "mail.example.test\n"
    assert (tmp_path / "var/qmail/queue").is_dir()


def test_builds_into_a_directory_that_does_not_exist_yet(tmp_path: Path):
    root = tmp_path / "new" / "demo"
    build(roots_under(root), smtpd_user="nobody", log_user="nobody")
    assert (root / MARKER).is_file()
    assert (root / "service/qmail-smtpd/run").exists()


def test_rebuilds_a_tree_it_marked(tmp_path: Path):
    roots = roots_under(tmp_path)
    build(roots, smtpd_user="nobody", log_user="nobody")
    roots.control("me").write_text("changed.example\n")
    build(roots, smtpd_user="nobody", log_user="nobody")
    assert roots.control("me").read_text() == "mail.example.test\n"


def test_rebuilding_drops_the_queues_a_reset_moved_aside_in_the_demo(tmp_path: Path):
    # The rebuilt demo listed "Queues moved aside: queue.bad-… 17 messages" from the run before.
    from mailserver.qmail.queue.install import move_aside

    roots = roots_under(tmp_path)
    build(roots, smtpd_user="nobody", log_user="nobody")
    aside = move_aside(roots.queue_dir)
    assert aside.exists()
    build(roots, smtpd_user="nobody", log_user="nobody")
    assert not aside.exists()
    assert sorted(p.name for p in roots.queue_dir.parent.iterdir() if p.name.startswith("queue")) == ["queue"]


def test_reset_puts_back_a_marked_tree(tmp_path: Path):
    roots = roots_under(tmp_path)
    build(roots, smtpd_user="nobody", log_user="nobody")
    roots.control("databytes").write_text("1\n")
    reset(roots, smtpd_user="nobody", log_user="nobody")
    assert roots.control("databytes").read_text() == "2000\n"


def test_reset_refuses_an_unmarked_server(real_looking_server: Path):
    before = snapshot(real_looking_server)
    with pytest.raises(NotADemoRoot):
        reset(roots_under(real_looking_server), smtpd_user="nobody", log_user="nobody")
    assert snapshot(real_looking_server) == before


def test_the_demo_root_is_the_directory_holding_every_root(tmp_path: Path):
    assert demo_root(roots_under(tmp_path)) == tmp_path
    assert demo_root(Roots()) == Path("/")
