"""A daemontools service directory for a daemon that is not qmail-smtpd: spamd, clamd, POP3, IMAP.

Like :func:`.servicedir.create_service` (which also makes the SMTP services' tcprules cdb),
the directory is complete before svscan can see it: ``run``, ``log/run``, both ``down`` files
(a new service starts stopped), and a log directory the log user owns; the link into the
service directory comes last, and a failure removes what was made.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from . import atomic
from .errors import QmailError
from .paths import Roots
from .runscript import render_log
from .servicedir import give_to_log_user


def create(roots: Roots, service: str, run: bytes, *, log_name: str, log_user: str) -> Path:
    """ROOTS.qmail/supervise/SERVICE, stopped, linked into ROOTS.service; returns the directory."""
    link = roots.service_dir(service)
    if link.exists() or link.is_symlink():
        raise QmailError(f"{link} already exists; the panel only sets up a service that is not there.")
    directory = roots.qmail / "supervise" / service
    if directory.exists() or directory.is_symlink():
        raise QmailError(
            f"{directory} exists but is not linked into {roots.service}; link or remove it by hand."
        )
    created: list[Path] = []
    try:
        directory.parent.mkdir(mode=0o755, exist_ok=True)
        directory.mkdir(mode=0o755)
        created.append(directory)
        directory.chmod(0o1755)  # sticky: supervise's own convention for a service directory
        (directory / "log").mkdir(mode=0o755)
        for down in (directory / "down", directory / "log" / "down"):
            down.touch(mode=0o644)
        atomic.write_atomic(directory / "run", run, expect_sha256=None, default_mode=0o755)
        log_run = render_log(roots, log_name, log_user).encode()
        atomic.write_atomic(directory / "log" / "run", log_run, default_mode=0o755)
        log_dir = roots.log_dir(log_name)
        try:
            log_dir.mkdir(mode=0o755)
            created.append(log_dir)
        except FileExistsError:
            pass
        give_to_log_user(log_dir, log_user, new=log_dir in created)
        link.symlink_to(directory)
    except BaseException:
        for path in reversed(created):
            with contextlib.suppress(OSError):
                shutil.rmtree(path)
        raise
    return directory
