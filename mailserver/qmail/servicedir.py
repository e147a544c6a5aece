"""Create a daemontools service directory for svscan, complete before svscan sees it.

svscan starts supervise for whatever appears in its directory, so the link into the
service directory comes last: only once run, log/run, the ``down`` files (a new
service starts stopped), a log directory multilog can write and the tcprules cdb
tcpserver -x needs (for the SMTP services) all exist. If a step fails, what was created is
removed again. Every service the panel sets up is made here: qmail-smtpd and qmail-submission
(smtpd_ops) and the daemons that are not qmail (daemonservice).
"""

from __future__ import annotations

import contextlib
import errno
import os
import pwd
import shutil
from pathlib import Path

from . import atomic
from .errors import QmailError
from .paths import Roots
from .tcprules import ensure_rules


def create_service(
    roots: Roots,
    service: str,
    run: bytes,
    log_run: bytes,
    *,
    log_user: str,
    rules: str | None,
    log_name: str | None = None,
    expect: atomic.Expect = None,
) -> Path:
    """ROOTS.qmail/supervise/SERVICE with ``run`` and ``log/run``, stopped, linked into ROOTS.service;
    returns the directory. ``rules``: the tcprules file tcpserver -x reads (None: no tcpserver);
    ``log_name``: its directory under the log root (default: SERVICE without ``qmail-``)."""
    link = roots.service_dir(service)
    if link.is_symlink():
        raise QmailError(f"{link} points to a missing directory; remove or fix the link by hand.")
    directory = roots.qmail / "supervise" / service
    if directory.exists() or directory.is_symlink():
        raise QmailError(
            f"{directory} exists but is not linked into {roots.service}; link or remove it by hand."
        )
    created: list[Path] = []
    try:
        supervise = directory.parent
        if not supervise.is_dir():
            supervise.mkdir(mode=0o755)
            created.append(supervise)
        directory.mkdir(mode=0o755)
        created.append(directory)
        directory.chmod(0o1755)
        (directory / "log").mkdir(mode=0o755)
        for down in (directory / "down", directory / "log" / "down"):
            down.touch(mode=0o644)
        atomic.write_atomic(directory / "run", run, expect_sha256=expect, default_mode=0o755)
        atomic.write_atomic(directory / "log" / "run", log_run, default_mode=0o755)
        log_dir = roots.log_dir(log_name or service.removeprefix("qmail-"))
        try:
            log_dir.mkdir(mode=0o755)
            created.append(log_dir)
        except FileExistsError:
            pass  # whatever is there is checked, never followed, before it is given away
        give_to_log_user(log_dir, log_user, new=log_dir in created)
        if rules is not None:
            created += ensure_rules(roots, rules)
        link.symlink_to(directory)
    except BaseException:
        for path in reversed(created):
            with contextlib.suppress(OSError):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        raise
    return directory


def give_to_log_user(directory: Path, log_user: str, *, new: bool) -> None:
    """multilog runs as the log user (setuidgid in log/run): it must own its directory.

    The log root may belong to the log user, who could put a link to any directory
    there: the directory is opened without following links and changed through that
    descriptor, so only the real directory is ever given away (a new one, or root's).
    """
    try:
        entry = pwd.getpwnam(log_user)
    except KeyError:
        return  # no such user here; log/run will say so when it starts
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        what = "a symbolic link" if directory.is_symlink() else "not a directory"
        raise QmailError(
            f"{directory} is {what}; the panel will not give it to {log_user}. "
            "Replace it with a directory by hand."
        ) from None
    try:
        if (new or os.fstat(fd).st_uid == 0) and os.geteuid() == 0:  # root's: multilog could not write it
            os.fchown(fd, entry.pw_uid, entry.pw_gid)
    finally:
        os.close(fd)
