"""Real spamd, clamd and Courier IMAP under the session's svscan, driven through the signed agent.

Each daemon is set up once per test module (tests/support/daemons.py) and taken away after
it, so the rest of the suite finds the test server as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailserver.qmail import services
from mailserver.qmail.paths import Roots
from mailserver.spamassassin import spamd
from tests.support import daemons
from tests.support.stack import free_port


@dataclass(frozen=True)
class Spamd:
    roots: Roots
    site: Path
    port: int


@pytest.fixture(scope="module")
def spamd_running(stack: dict[str, object]) -> Iterator[Spamd]:
    """Debian's spamd on a free loopback port, local tests only (-L: no network here)."""
    roots = stack["roots"]
    assert isinstance(roots, Roots)
    daemons.open_for_daemons(roots)
    daemons.link_programs(roots, "spamd", "spamassassin", "sa-learn")
    site = daemons.spamassassin_site(roots)
    port = free_port()
    params = spamd.SpamdParams(
        site_dir=str(site),
        home_dir=str(roots.system / "var/lib/spamassassin"),
        spamd=str(roots.system / "usr/sbin/spamd"),
        port=port,
        max_children=2,
        network_tests=False,
    )
    daemons.put_service(roots, "spamd", spamd.render(params))
    try:
        daemons.start(roots, "spamd")
        daemons.wait_for(lambda: spamd.ping("127.0.0.1", port), 60, "spamd to answer PING")
        yield Spamd(roots, site, port)
    finally:
        daemons.remove_service(roots, "spamd")
        daemons.unlink_programs(roots, "spamd", "spamassassin", "sa-learn")
        daemons.remove_trees(roots, "etc/spamassassin", "var/lib/spamassassin")


@pytest.fixture
def fresh_site(spamd_running: Spamd) -> Spamd:
    """No local.cf (SpamAssassin's defaults), as on a fresh Debian before the first save, and a
    spamd that has read exactly that (it reads its configuration when it starts)."""
    local = spamd_running.site / "local.cf"
    if local.exists():
        local.unlink()
        services.control(spamd_running.roots, "spamd", "restart")
    daemons.wait_for(lambda: _answers_with_defaults(spamd_running.port), 60, "spamd with the defaults")
    return spamd_running


def _answers_with_defaults(port: int) -> bool:
    try:
        return spamd.check("127.0.0.1", port, spamd.GTUBE).threshold == 5.0
    except spamd.SpamdUnreachable:
        return False


@dataclass(frozen=True)
class Clamav:
    roots: Roots
    etc: Path
    databases: Path
    socket: Path


@pytest.fixture(scope="module")
def clamav_running(stack: dict[str, object]) -> Iterator[Clamav]:
    """Debian's clamd, offline, with a database directory holding one EICAR signature
    (components.md), and freshclam, both under svscan with the panel's run scripts."""
    from mailserver.clamav import scripts

    roots = stack["roots"]
    assert isinstance(roots, Roots)
    daemons.link_programs(roots, "clamd", "freshclam")
    etc = daemons.clamav_files(roots, free_port())
    for name in ("clamd", "freshclam"):
        program = str(roots.system / scripts.PROGRAMS[name].lstrip("/"))
        daemons.put_service(roots, name, scripts.render(name, str(etc / f"{name}.conf"), program))
    try:
        daemons.start(roots, "clamd")
        socket = roots.system / "run/clamav/clamd.ctl"
        daemons.wait_for(socket.exists, 30, "clamd's socket")
        yield Clamav(roots, etc, roots.system / "var/lib/clamav", socket)
    finally:
        for name in ("clamd", "freshclam"):
            daemons.remove_service(roots, name)
        daemons.unlink_programs(roots, "clamd", "freshclam")
        daemons.remove_trees(roots, "etc/clamav", "var/lib/clamav", "run/clamav", "var/log/clamav", "tmp")


POPUP_STAND_IN = """#!/bin/sh
# test stand-in for qmail-popup (qmail is in no package registry): greets, then waits.
echo "+OK <$$.stand-in@$1>"
while read -r line; do
    case $line in
    QUIT*|quit*) echo "+OK"; exit 0 ;;
    *) echo "-ERR stand-in" ;;
    esac
done
"""


@pytest.fixture(scope="module")
def pop3d_programs(stack: dict[str, object]) -> Iterator[Roots]:
    """qmail-popup and qmail-pop3d made "installed" by stand-ins; tcpserver and softlimit are real."""
    roots = stack["roots"]
    assert isinstance(roots, Roots)
    daemons.open_for_daemons(roots)
    programs = [roots.qmail_program("qmail-popup"), roots.qmail_program("qmail-pop3d")]
    for program in programs:
        program.write_text(POPUP_STAND_IN)
        program.chmod(0o755)
    try:
        yield roots
    finally:
        for name in ("qmail-pop3d", "qmail-pop3d-ssl"):
            daemons.remove_service(roots, name)
        for program in programs:
            program.unlink(missing_ok=True)


@dataclass(frozen=True)
class Courier:
    roots: Roots
    etc: Path
    port: int
    ssl_port: int


@pytest.fixture(scope="module")
def courier_installed(stack: dict[str, object]) -> Iterator[Courier]:
    """Debian's Courier IMAP programs in the tree, its files on free ports, authdaemond running."""
    roots = stack["roots"]
    assert isinstance(roots, Roots)
    daemons.open_for_daemons(roots)
    daemons.link_programs(roots, "couriertcpd", "imaplogin", "imapd", "couriertls")
    port, ssl_port = free_port(), free_port()
    etc = daemons.courier_files(roots, port, ssl_port)
    with daemons.authdaemond():
        try:
            yield Courier(roots, etc, port, ssl_port)
        finally:
            for name in ("courier-imapd", "courier-imapd-ssl"):
                daemons.remove_service(roots, name)
            daemons.unlink_programs(roots, "couriertcpd", "imaplogin", "imapd", "couriertls")
            daemons.remove_trees(roots, "etc/courier", "var/lib/courier")


@pytest.fixture(scope="module")
def imap_user() -> Iterator[tuple[str, str, Path]]:
    with daemons.system_user() as user:
        yield user
