"""The MDA page's "Restart it": told when what a running IMAP server would read at a new start
differs from what it started with, not whenever a file it reads was written after its start.

Debian's Courier imapd and imapd-ssl run under the session's svscan and are started through the
signed agent (which records what each new process started with), or by hand (which leaves no
record: then file times are all there is, and the page says so).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from mailserver.core import agent
from mailserver.protocol import Op
from mailserver.qmail import services
from tests.filters.conftest import Courier, courier_installed, pop3d_programs  # noqa: F401  (fixtures)
from tests.support import daemons
from tests.support.stack import free_port

pytestmark = pytest.mark.integration
IMAP, SECURE = "courier-imapd", "courier-imapd-ssl"
MB = 1_000_000


def mda_write(service: str, **settings: int) -> dict:
    return agent.call(Op.MDA_WRITE, {"service": service, "settings": settings}, timeout=30)


def servers() -> dict:
    return agent.call(Op.MDA_READ_STATE)["servers"]


def started_by_the_panel(courier: Courier, name: str) -> int:
    """Start (or restart) ``name`` with the panel's Start/Restart; returns the new pid."""
    roots = courier.roots
    if not roots.service_dir(name).exists():
        mda_write(name, memory_limit=64 * MB)  # sets the service up, stopped
    daemons.supervised(roots, name)
    services.control(roots, name, "up", log=True)
    action = "restart" if services.read_status(roots, name).up else "up"
    status = agent.call(Op.SERVICE_CONTROL, {"service": name, "action": action}, timeout=30)["status"]
    assert status["up"], status
    return int(status["pid"])


@pytest.fixture
def courier(courier_installed: Courier):  # noqa: F811
    """Both IMAP servers running, started through the panel; stopped and their files put back after."""
    saved = {file: (courier_installed.etc / file).read_bytes() for file in ("imapd", "imapd-ssl")}
    for name in (IMAP, SECURE):
        started_by_the_panel(courier_installed, name)
    try:
        yield courier_installed
    finally:
        for name in (IMAP, SECURE):
            daemons.stop(courier_installed.roots, name)
        for file, data in saved.items():
            (courier_installed.etc / file).write_bytes(data)


def set_line(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def mda_page(db) -> str:
    client = Client()
    client.force_login(User.objects.create_superuser("admin", "admin@example.test", "pw"))
    return client.get("/mailserver/mda/").content.decode()


def test_an_imap_save_does_not_ask_to_restart_secure_imap_when_what_it_reads_is_unchanged(courier, db):
    before = servers()
    assert before[IMAP]["pending_restart"] == before[SECURE]["pending_restart"] == []
    secure_pid = before[SECURE]["status"]["pid"]

    # IMAP's save writes imapd (and gives imapd-ssl its own MAXDAEMONS=40, the value it read from
    # imapd), then restarts IMAP; Secure IMAP keeps running with the same settings as before.
    answer = mda_write(IMAP, connections=3)
    assert answer["restart"]["restarted"] is True
    assert "\nMAXDAEMONS=40\n" in (courier.etc / "imapd-ssl").read_text()

    after = servers()
    assert after[SECURE]["status"]["pid"] == secure_pid
    assert after[SECURE]["pending_restart"] == []
    assert after[IMAP]["pending_restart"] == []
    assert 'data-testid="pending-' not in mda_page(db)


def test_a_rewrite_with_the_same_bytes_asks_for_no_restart(courier):
    run = courier.roots.service_dir(SECURE) / "run"
    for path in (courier.etc / "imapd", courier.etc / "imapd-ssl", run):
        path.write_bytes(path.read_bytes())  # a save of the same content, later than the start
    later = run.stat().st_mtime + 5
    os.utime(courier.etc / "imapd", (later, later))  # and a touch
    assert servers()[SECURE]["status"]["since"] < later

    state = servers()
    assert state[SECURE]["pending_restart"] == []
    assert state[IMAP]["pending_restart"] == []


def test_a_real_change_still_asks_for_a_restart_and_one_the_server_overrides_does_not(courier):
    imapd, imapd_ssl = courier.etc / "imapd", courier.etc / "imapd-ssl"
    # imapd-ssl now sets MAXPERIP itself, to the 20 Secure IMAP read from imapd: the same value.
    set_line(imapd_ssl, "\nSSLPORT=", "\nMAXPERIP=20\nSSLPORT=")
    assert servers()[SECURE]["pending_restart"] == []

    set_line(imapd, "\nMAXPERIP=20\n", "\nMAXPERIP=5\n")
    state = servers()
    assert state[SECURE]["pending_restart"] == []  # it reads its own 20 after imapd's 5
    assert state[IMAP]["pending_restart"] == [f"{imapd} (MAXPERIP)"]
    assert state[IMAP]["pending_by_file_time"] is False

    set_line(imapd_ssl, "\nMAXPERIP=20\n", "\nMAXPERIP=7\n")
    state = servers()
    assert state[SECURE]["pending_restart"] == [f"{imapd_ssl} (MAXPERIP)"]
    assert state[SECURE]["pending_by_file_time"] is False

    started_by_the_panel(courier, SECURE)
    assert servers()[SECURE]["pending_restart"] == []


def test_a_change_put_back_with_an_older_file_time_still_asks_for_a_restart(courier):
    imapd = courier.etc / "imapd"
    since = servers()[IMAP]["status"]["since"]
    set_line(imapd, "\nMAXPERIP=20\n", "\nMAXPERIP=4\n")
    os.utime(imapd, (since - 3600, since - 3600))  # a backup restored with its times (cp -p, tar)

    state = servers()
    assert state[IMAP]["pending_restart"] == [f"{imapd} (MAXPERIP)"]
    assert state[SECURE]["pending_restart"] == [f"{imapd} (MAXPERIP)"]


def test_a_server_started_by_hand_is_judged_by_file_times_and_the_page_says_so(courier, db):
    roots, imapd = courier.roots, courier.etc / "imapd"
    daemons.stop(roots, SECURE)
    daemons.start(roots, SECURE)  # svc -u by hand: the panel has no record of what it read
    imapd.write_bytes(imapd.read_bytes())
    os.utime(imapd, (servers()[SECURE]["status"]["since"] + 5,) * 2)

    state = servers()[SECURE]
    assert (state["pending_restart"], state["pending_by_file_time"]) == ([f"{imapd}"], True)
    html = mda_page(db)
    assert 'data-testid="pending-courier-imapd-ssl"' in html
    assert "The panel did not start this process" in html
    assert 'data-testid="pending-courier-imapd"' not in html  # IMAP has its record: same bytes, no advice


def test_pop3_is_asked_to_restart_when_the_host_name_it_took_at_start_changes(pop3d_programs):  # noqa: F811
    roots = pop3d_programs
    mda_write("qmail-pop3d", connections=3)
    run = roots.service_dir("qmail-pop3d") / "run"
    text = run.read_text().replace("LISTEN_ADDRESS=0\n", "LISTEN_ADDRESS=127.0.0.1\n")
    run.write_text(text.replace("LISTEN_PORT=110\n", f"LISTEN_PORT={free_port()}\n"))  # by hand, for the test
    me = roots.control("me")
    saved = me.read_bytes()
    try:
        daemons.supervised(roots, "qmail-pop3d")
        services.control(roots, "qmail-pop3d", "up", log=True)
        agent.call(Op.SERVICE_CONTROL, {"service": "qmail-pop3d", "action": "up"}, timeout=30)
        assert servers()["qmail-pop3d"]["pending_restart"] == []

        # The run script passes the first line of control/me to qmail-popup, once, at its start.
        me.write_bytes(saved + b"# a comment qmail never reads\n")
        assert servers()["qmail-pop3d"]["pending_restart"] == []
        me.write_text("pop.example.test\n")
        state = servers()["qmail-pop3d"]
        assert state["pending_restart"] == ["me"]
        assert state["pending_by_file_time"] is False
    finally:
        me.write_bytes(saved)
        daemons.stop(roots, "qmail-pop3d")
