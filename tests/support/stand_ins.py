"""Programs made "installed" for a test: qmail-send (stand-ins for the two qmail programs its run
script execs: ``rc`` execs qmail-start, which execs qmail-send, which here just sleeps), qmail-smtpd
in a restart loop, and simscan (in no package registry)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from mailserver.qmail import services
from mailserver.qmail.paths import Roots

SLEEP = shutil.which("sleep") or "/bin/sleep"
TIMEOUT = 8.0  # supervise sleeps 1 s after each start
QMAIL_SEND = {
    "qmail-start": "#!/bin/sh\n# test stand-in for qmail-start\nexec qmail-send\n",
    "qmail-send": f"#!/bin/sh\n# test stand-in for qmail-send\nexec {SLEEP} 1000\n",
}


@contextmanager
def running_qmail_send(roots: Roots) -> Iterator[Roots]:
    """qmail-send installed and up; stopped and uninstalled afterwards (its ``down`` file stays)."""
    bin_dir = roots.qmail / "bin"
    for name, text in QMAIL_SEND.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    services.control(roots, "qmail-send", "up")
    services.wait_until(roots, "qmail-send", "up", TIMEOUT)
    try:
        yield roots
    finally:
        try:
            if services.read_status(roots, "qmail-send").up:
                services.control(roots, "qmail-send", "down")
                services.wait_until(roots, "qmail-send", "down", TIMEOUT)
        finally:
            for name in QMAIL_SEND:
                (bin_dir / name).unlink(missing_ok=True)


SIMSCAN = "#!/bin/sh\n# test stand-in for simscan\nexec /bin/true\n"


@contextmanager
def smtp_rules_kept(roots: Roots) -> Iterator[Roots]:
    """tcp.smtp and its cdb put back afterwards (a reset puts back control files only), simscan removed."""
    source, cdb = roots.rules("smtp")
    saved = source.read_bytes(), cdb.read_bytes()
    try:
        yield roots
    finally:
        source.write_bytes(saved[0])
        cdb.write_bytes(saved[1])
        roots.qmail_program("simscan").unlink(missing_ok=True)


def install_simscan(roots: Roots) -> Roots:
    program = roots.qmail_program("simscan")
    program.write_text(SIMSCAN)
    program.chmod(0o755)
    return roots


@contextmanager
def simscan_installed(roots: Roots) -> Iterator[Roots]:
    """A stand-in simscan; tcp.smtp and its cdb put back and simscan removed afterwards."""
    with smtp_rules_kept(roots):
        yield install_simscan(roots)


@contextmanager
def smtpd_in_a_restart_loop(roots: Roots) -> Iterator[Roots]:
    """Issue 7's stock notqmail: qmail-smtpd installed, no ``control/concurrencyincoming``.

    The panel's run script then exits at once ("MAXSMTPD … is unset") and supervise restarts
    it every second once it is started. Its log service runs, so what the script says reaches
    the log: through a hand-written log/run as root (the test tree is private to root, so user
    nobody, whom the panel's log/run names here, could not reach it).
    """
    program = roots.qmail_program("qmail-smtpd")
    program.write_text("#!/bin/sh\n# test stand-in: never reached, the run script exits first\nexit 1\n")
    program.chmod(0o755)
    roots.control("concurrencyincoming").unlink()
    log_run = roots.service_dir("qmail-smtpd") / "log" / "run"
    panel_log_run = log_run.read_text()
    log_run.write_text(f"#!/bin/sh\nexec /usr/bin/multilog t {roots.log_dir('smtpd')}\n")
    services.control(roots, "qmail-smtpd", "up", log=True)
    try:
        yield roots
    finally:
        try:
            if services.read_status(roots, "qmail-smtpd").up:
                services.control(roots, "qmail-smtpd", "down")
                services.wait_until(roots, "qmail-smtpd", "down", TIMEOUT)
            services.control(roots, "qmail-smtpd", "down", log=True)
        finally:
            program.unlink(missing_ok=True)
            log_run.write_text(panel_log_run)
            for down in (
                roots.service_dir("qmail-smtpd") / "down",
                roots.service_dir("qmail-smtpd") / "log" / "down",
            ):
                down.touch()
