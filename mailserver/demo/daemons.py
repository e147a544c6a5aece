"""The demo's spamd, clamd, freshclam and Courier IMAP, running under its svscan when this machine has them.

``python -m mailserver.demo.daemons ROOT``, run by scripts/demo at every start, after the demo
tree is built. For each daemon whose Debian program is installed here and whose service the
demo does not have yet, it makes the program appear installed in the tree (a symbolic link:
the panel looks for ``/usr/sbin/spamd`` under the demo's root), writes the daemon's
configuration inside the tree, and creates the service with the run script the panel itself
writes (:mod:`mailserver.agent.autorestart_ops` writes the same). So the MDA, Spam Filtering
and Virus Filtering pages show live services, as on a real server.

Everything stays offline and on loopback: spamd without network tests on port 7830, clamd on
a local socket with a one-line EICAR signature database (components.md: the real databases
need the network), freshclam set up but stopped (it would only fail to reach a mirror; the
Virus page shows that failure when an admin starts it), Courier's imapd on 10143 and imapd-ssl
on 10993, never the real ports of this machine.

A service already in the tree (set up by an earlier start, or by an admin through the panel)
is left exactly as it is. A daemon that is not installed, or fails to be set up, is skipped
with a line saying why: the demo starts anyway.
"""

from __future__ import annotations

import os
import pwd
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from mailserver.clamav import scripts as clam_scripts
from mailserver.qmail import daemonservice, mda_scripts
from mailserver.qmail.paths import Roots
from mailserver.services import registry
from mailserver.spamassassin import spamd

SPAMD_PORT = 7830
IMAP_PORT, IMAP_SSL_PORT = 10143, 10993
EICAR_SIGNATURE = "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n"  # test.hdb: MD5:size:name
SPAMD_PROGRAMS = ("/usr/sbin/spamd", "/usr/bin/spamassassin", "/usr/bin/sa-learn")  # lint and training too


def _link(roots: Roots, program: str) -> None:
    """Debian's ``program`` made to appear installed in the tree."""
    target = roots.system / program.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_symlink() and not target.exists():
        target.symlink_to(program)


def _absent(paths: tuple[str, ...]) -> list[str]:
    """Those of ``paths`` (programs, files a configuration is copied from) missing on this machine."""
    return [p for p in paths if not (os.access(p, os.X_OK) if "/bin/" in p else Path(p).is_file())]


def _create(roots: Roots, name: str, run: str, log_user: str, *, start: bool) -> None:
    directory = daemonservice.create(
        roots, name, run.encode(), log_name=registry.get(name).log, log_user=log_user
    )
    (directory / "log" / "down").unlink()  # its logger always runs, so a start is logged
    if start:
        (directory / "down").unlink()  # starts at boot: svscan starts it now


def spamd_service(roots: Roots, log_user: str) -> str:
    site = roots.system / "etc/spamassassin"
    site.mkdir(parents=True, exist_ok=True)
    for pre in Path("/etc/spamassassin").glob("*.pre"):  # the plugins spamd and lint load
        shutil.copyfile(pre, site / pre.name)
    home = roots.system / "var/lib/spamassassin"
    home.mkdir(parents=True, exist_ok=True)
    user = pwd.getpwnam("debian-spamd")
    os.chown(home, user.pw_uid, user.pw_gid)
    for program in SPAMD_PROGRAMS:
        _link(roots, program)
    params = spamd.SpamdParams(
        site_dir=str(site), home_dir=str(home), spamd=str(roots.system / "usr/sbin/spamd"),
        port=SPAMD_PORT, max_children=2, network_tests=False,
    )  # fmt: skip
    _create(roots, "spamd", spamd.render(params), log_user, start=True)
    return f"spamd on 127.0.0.1:{SPAMD_PORT}, running"


def _clamav_files(roots: Roots) -> Path:
    etc, db = roots.system / "etc/clamav", roots.system / "var/lib/clamav"
    run, logs, tmp = roots.system / "run/clamav", roots.system / "var/log/clamav", roots.system / "tmp"
    for directory in (etc, db, run, logs, tmp):
        directory.mkdir(parents=True, exist_ok=True)
    if not any(db.iterdir()):
        (db / "test.hdb").write_text(EICAR_SIGNATURE)
    if not (etc / "clamd.conf").exists():
        (etc / "clamd.conf").write_text(
            f"LocalSocket {run}/clamd.ctl\nFixStaleSocket true\nDatabaseDirectory {db}\n"
            f"Foreground yes\nTemporaryDirectory {tmp}\nSelfCheck 3600\n"
        )
    if not (etc / "freshclam.conf").exists():
        (etc / "freshclam.conf").write_text(
            f"DatabaseDirectory {db}\nUpdateLogFile {logs}/freshclam.log\nLogTime yes\nDatabaseOwner root\n"
            "DatabaseMirror database.clamav.net\nMaxAttempts 1\nConnectTimeout 5\nReceiveTimeout 5\n"
            "Checks 1\nForeground yes\n"
        )
    return etc


def clamav_service(name: str) -> Callable[[Roots, str], str]:
    def set_up(roots: Roots, log_user: str) -> str:
        etc = _clamav_files(roots)
        program = clam_scripts.PROGRAMS[name]
        _link(roots, program)
        run = clam_scripts.render(name, str(etc / f"{name}.conf"), str(roots.system / program.lstrip("/")))
        _create(roots, name, run, log_user, start=name == "clamd")
        if name == "clamd":
            return "clamd on a local socket, offline, with the EICAR test signature only, running"
        return "freshclam, stopped (no update server is reachable from the demo)"

    return set_up


def courier_files(roots: Roots, port: int, ssl_port: int, *, keep: bool = False) -> Path:
    """Copies of Debian's imapd and imapd-ssl in the tree, on loopback at ``port`` and ``ssl_port``.

    With ``keep``, a copy already there (set up by an earlier start, edited by an admin) is left as it is.
    """
    etc = roots.system / "etc/courier"
    etc.mkdir(parents=True, exist_ok=True)
    cache = roots.system / "var/lib/courier"
    cache.mkdir(parents=True, exist_ok=True)
    values = {"ADDRESS": "127.0.0.1", "PORT": str(port), "SSLADDRESS": "127.0.0.1", "SSLPORT": str(ssl_port),
              "TLS_CACHEFILE": str(cache / "couriersslimapcache")}  # fmt: skip
    for file in ("imapd", "imapd-ssl"):
        if keep and (etc / file).exists():
            continue
        lines = Path(f"/etc/courier/{file}").read_text().split("\n")
        for i, line in enumerate(lines):
            key = line.split("=", 1)[0]
            if "=" in line and not line.startswith("#") and key in values:
                lines[i] = f"{key}={values[key]}"
        (etc / file).write_text("\n".join(lines))
    return etc


def courier_service(name: str) -> Callable[[Roots, str], str]:
    def set_up(roots: Roots, log_user: str) -> str:
        etc = courier_files(roots, IMAP_PORT, IMAP_SSL_PORT, keep=True)
        for program in (*_IMAP, "/usr/bin/couriertls") if name.endswith("-ssl") else _IMAP:
            _link(roots, program)
        _create(roots, name, mda_scripts.render_imapd(name, roots, str(etc)), log_user, start=True)
        port = IMAP_SSL_PORT if name.endswith("-ssl") else IMAP_PORT
        return f"{name} on 127.0.0.1:{port}, running (logins need Courier's authdaemond)"

    return set_up


_IMAP = ("/usr/sbin/couriertcpd", "/usr/bin/imapd", "/usr/lib/courier/courier/imaplogin")
_SYSTEM_PROGRAMS = {
    "spamd": (spamd_service, SPAMD_PROGRAMS),
    "clamd": (clamav_service("clamd"), ("/usr/sbin/clamd",)),
    "freshclam": (clamav_service("freshclam"), ("/usr/bin/freshclam",)),
    "courier-imapd": (courier_service("courier-imapd"), (*_IMAP, "/etc/courier/imapd")),
    "courier-imapd-ssl": (
        courier_service("courier-imapd-ssl"),
        (*_IMAP, "/usr/bin/couriertls", "/etc/courier/imapd", "/etc/courier/imapd-ssl"),
    ),
}


def set_up(roots: Roots, *, log_user: str, checkpassword: str) -> list[str]:
    """Set up each daemon the demo lacks and this machine has; one line per service on what was done."""
    said = []
    for name, (make, needs) in _SYSTEM_PROGRAMS.items():
        if roots.service_dir(name).exists() or roots.service_dir(name).is_symlink():
            continue
        absent = _absent(needs)
        if absent:
            said.append(f"{name}: not set up, {', '.join(absent)} is not on this machine")
            continue
        try:
            said.append(make(roots, log_user))
        except Exception as exc:  # a daemon that cannot be set up must not stop the demo
            said.append(f"{name}: not set up ({exc})")
    for name in ("qmail-pop3d", "qmail-pop3d-ssl"):  # qmail's own programs: only where someone put them
        if roots.service_dir(name).exists() or registry.get(name).missing(roots):
            continue
        try:
            params = mda_scripts.Pop3dParams.default(name, roots, checkpassword)
            _create(roots, name, mda_scripts.render_pop3d(name, params, roots), log_user, start=False)
        except Exception as exc:
            said.append(f"{name}: not set up ({exc})")
        else:
            said.append(f"{name}, stopped")
    return said


def main(argv: list[str]) -> int:
    from .builder import NotADemoRoot, check_root, configured, demo_root

    config = configured(argv)
    if config is None:
        return 2
    try:
        check_root(demo_root(config.roots))
    except NotADemoRoot as exc:
        print(exc, file=sys.stderr)
        return 1
    for line in set_up(config.roots, log_user=config.log_user, checkpassword=config.checkpassword):
        print(f"demo daemons: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
