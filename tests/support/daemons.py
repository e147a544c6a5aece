"""Debian's spamd, clamd, freshclam and Courier IMAP, installed into the test server's tree and run for real.

The test server is a tree under a private temporary directory, with ``Roots.system`` at its
top, so the panel looks for ``/usr/sbin/spamd`` as ``<tree>/usr/sbin/spamd``: the programs
Debian installed are linked there (tests only), and each daemon gets its configuration in
the tree (a site directory for SpamAssassin, clamd.conf with a one-line EICAR signature
database, copies of Courier's files on free ports). Services are put under the session's
real svscan with the panel's own run scripts and taken out again afterwards, so the rest
of the suite sees the tree as it was.

spamd and Courier's couriertls run as unprivileged users (debian-spamd, courier) that must
reach files in the tree: its private parent directory is opened for traversal (0711: no
listing) while these fixtures run.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from mailserver.demo.daemons import courier_files as courier_files  # the demo's, on the tests' ports
from mailserver.qmail import daemonservice, services
from mailserver.qmail.paths import Roots
from mailserver.qmail.supervise_status import supervise_running
from tests.support.svscan import group_members

TIMEOUT = 10.0
EICAR_SIGNATURE = "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n"
PROGRAMS = {
    "spamd": "/usr/sbin/spamd",
    "spamassassin": "/usr/bin/spamassassin",
    "sa-learn": "/usr/bin/sa-learn",
    "clamd": "/usr/sbin/clamd",
    "freshclam": "/usr/bin/freshclam",
    "couriertcpd": "/usr/sbin/couriertcpd",
    "imaplogin": "/usr/lib/courier/courier/imaplogin",
    "imapd": "/usr/bin/imapd",
    "couriertls": "/usr/bin/couriertls",
}


def link_programs(roots: Roots, *names: str) -> None:
    """Make Debian's programs appear installed in the tree (symbolic links to the real ones)."""
    for name in names:
        real = Path(PROGRAMS[name])
        target = roots.system / real.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_symlink():
            target.symlink_to(real)


def unlink_programs(roots: Roots, *names: str) -> None:
    for name in names:
        (roots.system / Path(PROGRAMS[name]).relative_to("/")).unlink(missing_ok=True)


def remove_trees(roots: Roots, *relative: str) -> None:
    """What a fixture made in the tree (configuration, databases), so later tests find it as built."""
    for path in relative:
        shutil.rmtree(roots.system / path, ignore_errors=True)


def open_for_daemons(roots: Roots) -> None:
    """Let spamd's and couriertls's users traverse down to the tree (never list it)."""
    for directory in (roots.system, *roots.system.parents):
        if directory == Path("/"):
            break
        mode = directory.stat().st_mode & 0o777
        if mode & 0o001 == 0:
            directory.chmod(mode | 0o001)


def put_service(roots: Roots, name: str, run: str, log_name: str | None = None) -> None:
    """The service with the panel's run script, under svscan (seen within 5 s), stopped; its
    logger running, so what the daemon says is in its multilog log."""
    daemonservice.create(roots, name, run.encode(), log_name=log_name or name, log_user="root")
    deadline = time.monotonic() + TIMEOUT
    while not (
        services.read_status(roots, name).supervised
        and services.read_status(roots, name, log=True).supervised
    ):
        assert time.monotonic() < deadline, f"svscan did not pick up {name}"
        time.sleep(0.1)
    services.control(roots, name, "up", log=True)


def remove_service(roots: Roots, name: str) -> None:
    """Stop it and its logger, take it out of svscan's sight, remove its directory."""
    link = roots.service_dir(name)
    directory = roots.qmail / "supervise" / name
    if not link.is_symlink():
        return
    link.unlink()  # first, or svscan would start a new supervise for it within 5 s
    for target in (directory, directory / "log"):
        if supervise_running(target):
            subprocess.run(["/usr/bin/svc", "-dx", str(target)], check=False, timeout=5)
    deadline = time.monotonic() + TIMEOUT
    while supervise_running(directory) or supervise_running(directory / "log"):
        assert time.monotonic() < deadline, f"supervise of {name} did not exit"
        time.sleep(0.1)
    shutil.rmtree(directory, ignore_errors=True)
    shutil.rmtree(roots.log_dir(name), ignore_errors=True)  # later tests read a log as the service's


def supervised(roots: Roots, name: str) -> None:
    """Wait for svscan to start supervise (and the logger's) for a service the agent just created."""
    wait_for(
        lambda: all(services.read_status(roots, name, log=log).supervised for log in (False, True)),
        TIMEOUT, f"svscan to pick up {name}",
    )  # fmt: skip


def start(roots: Roots, name: str) -> int:
    supervised(roots, name)
    if not services.read_status(roots, name, log=True).up:
        services.control(roots, name, "up", log=True)
    services.control(roots, name, "up")
    return services.wait_until(roots, name, "up", TIMEOUT).pid or 0


def accepting(port: int, timeout: float = 10.0) -> None:
    """Wait until something accepts on 127.0.0.1:port: a server execs before it binds."""

    def connects() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    wait_for(connects, timeout, f"a server on port {port}")


def stop(roots: Roots, name: str) -> None:
    if services.read_status(roots, name).up:
        services.control(roots, name, "down")
        services.wait_until(roots, name, "down", TIMEOUT)


def wait_for(predicate, timeout: float = 30.0, what: str = "the condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


# ---- SpamAssassin ----


def spamassassin_site(roots: Roots) -> Path:
    """The tree's /etc/spamassassin: Debian's *.pre files (lint and spamd need them), no local.cf."""
    site = roots.system / "etc/spamassassin"
    site.mkdir(parents=True, exist_ok=True)
    for pre in Path("/etc/spamassassin").glob("*.pre"):
        shutil.copyfile(pre, site / pre.name)
    home = roots.system / "var/lib/spamassassin"
    home.mkdir(parents=True, exist_ok=True)
    user = pwd.getpwnam("debian-spamd")
    os.chown(home, user.pw_uid, user.pw_gid)
    return site


# ---- ClamAV ----


def clamav_files(roots: Roots, tcp_port: int) -> Path:
    """clamd.conf and freshclam.conf in the tree; the database directory holds one EICAR signature."""
    etc = roots.system / "etc/clamav"
    db = roots.system / "var/lib/clamav"
    run = roots.system / "run/clamav"
    logs = roots.system / "var/log/clamav"
    for directory in (etc, db, run, logs):
        directory.mkdir(parents=True, exist_ok=True)
    (db / "test.hdb").write_text(EICAR_SIGNATURE)
    (etc / "clamd.conf").write_text(
        f"LocalSocket {run}/clamd.ctl\n"
        "FixStaleSocket true\n"
        f"TCPSocket {tcp_port}\n"
        "TCPAddr 127.0.0.1\n"
        f"DatabaseDirectory {db}\n"
        "Foreground yes\n"
        f"TemporaryDirectory {roots.system / 'tmp'}\n"
        "SelfCheck 3600\n"
    )
    (roots.system / "tmp").mkdir(exist_ok=True)
    (etc / "freshclam.conf").write_text(
        f"DatabaseDirectory {db}\n"
        f"UpdateLogFile {logs}/freshclam.log\n"
        "LogTime yes\n"
        "DatabaseOwner root\n"
        "DatabaseMirror database.clamav.net\n"
        "MaxAttempts 1\n"
        "ConnectTimeout 5\n"
        "ReceiveTimeout 5\n"
        "Checks 1\n"
        "Foreground yes\n"
    )
    return etc


# ---- Courier ----


AUTHDAEMOND = Path("/usr/lib/courier/courier-authlib/authdaemond")
AUTHDAEMON_SOCKET = Path("/run/courier/authdaemon/socket")


@contextlib.contextmanager
def authdaemond() -> Iterator[None]:
    """courier-authlib's authdaemond (system-wide: imaplogin asks it); started here if not running."""
    if _authdaemon_answers():
        yield
        return
    process = subprocess.Popen([str(AUTHDAEMOND)], start_new_session=True, stdin=subprocess.DEVNULL)
    wait_for(_authdaemon_answers, 10, "authdaemond")
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        deadline = time.monotonic() + 5
        while group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)


def _authdaemon_answers() -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.connect(str(AUTHDAEMON_SOCKET))
        return True
    except OSError:
        return False


@contextlib.contextmanager
def system_user(prefix: str = "nwxtest") -> Iterator[tuple[str, str, Path]]:
    """A real system user with a password and a Maildir (authpam logs it in); removed afterwards."""
    name = f"{prefix}{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(12)
    subprocess.run(["/usr/sbin/useradd", "-m", "-s", "/usr/sbin/nologin", name], check=True, timeout=30)
    try:
        subprocess.run(
            ["/usr/sbin/chpasswd"], input=f"{name}:{password}\n", text=True, check=True, timeout=30
        )
        entry = pwd.getpwnam(name)
        home = Path(entry.pw_dir)
        for sub in ("cur", "new", "tmp"):
            (home / "Maildir" / sub).mkdir(parents=True, exist_ok=True)
        for path in (home / "Maildir", *(home / "Maildir").iterdir()):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        yield name, password, home
    finally:
        subprocess.run(["/usr/sbin/userdel", "-r", "-f", name], check=False, timeout=30, capture_output=True)
