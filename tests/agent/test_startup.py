"""At worker start the agent removes the temp files of writes a killed agent left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailserver.agent import startup
from mailserver.qmail.paths import Roots


def dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def temp(directory: Path, target: str, pid: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f".{target}.tmp-{pid}-5ca1ab1e"
    path.write_bytes(b"half a save")
    return path


@pytest.fixture
def server(tmp_path: Path) -> Roots:
    roots = Roots(
        qmail=tmp_path / "var/qmail",
        service=tmp_path / "service",
        log=tmp_path / "var/log/qmail",
        bin=tmp_path / "bin",
        tcprules=tmp_path / "etc",
    )
    supervise = roots.qmail / "supervise" / "qmail-submission"
    (supervise / "log").mkdir(parents=True)
    roots.service.mkdir()
    roots.service_dir("qmail-submission").symlink_to(supervise)
    outside = tmp_path / "outside-the-roots"
    outside.mkdir()
    (roots.service / "elsewhere").symlink_to(outside)
    return roots


def test_removes_stale_temp_files_in_every_directory_the_agent_writes(server: Roots) -> None:
    pid = dead_pid()
    stale = [
        temp(server.control_dir, "badrcptto", pid),
        temp(server.qmail / "alias", ".qmail-doublebounce-discard", pid),
        temp(server.qmail / "supervise" / "qmail-submission", "run", pid),
        temp(server.qmail / "supervise" / "qmail-submission" / "log", "run", pid),
        temp(server.tcprules, "tcp.submission.cdb", pid),
    ]
    kept = [
        temp(server.control_dir, "me", os.getppid()),  # a live writer: not ours to remove
        temp(server.tcprules, "passwd", pid),  # in /etc only the tcprules files are the agent's
    ]
    removed = startup.remove_stale_temps(server)
    assert sorted(removed) == sorted(stale)
    assert not any(path.exists() for path in stale)
    assert all(path.exists() for path in kept)


def test_the_worker_module_runs_the_cleanup_when_celery_starts_it(server: Roots, tmp_path: Path) -> None:
    # A fresh interpreter that imports only what `celery -A mailserver.agent.worker` imports.
    left = temp(server.control_dir, "databytes", dead_pid())
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import mailserver.agent.worker\nfrom celery.signals import worker_init\n"
            "worker_init.send(sender=None)",
        ],
        env={**os.environ, "NODEWORX_SERVER_ROOT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    assert not left.exists()
    assert f"removed 1 temp file(s) left by interrupted writes: {left}" in started.stderr
