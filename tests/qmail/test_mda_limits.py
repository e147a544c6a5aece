"""The MDA servers' memory and connection limits, their run scripts and the connections in use."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mailserver.qmail import mda, mda_changes, mda_scripts, tcpstatus
from mailserver.qmail.errors import FieldError
from mailserver.qmail.paths import Roots

ROOTS = Roots()
MB = 1_000_000


@pytest.mark.parametrize(
    "service, floor",
    [("qmail-pop3d", 10), ("qmail-pop3d-ssl", 20), ("courier-imapd", 16), ("courier-imapd-ssl", 32)],
)
def test_each_server_has_a_floor_below_which_logins_fail(service, floor):
    assert mda.check_memory_limit(service, floor * MB) == floor * MB
    with pytest.raises(FieldError) as refused:
        mda.check_memory_limit(service, floor * MB - 1)
    assert refused.value.field == "memory_limit"
    message = str(refused.value)
    assert "every login fails" in message and f"at least {floor} MB" in message
    assert "each of its processes" in message  # softlimit caps each process, not their sum


def test_limits_that_would_not_protect_the_host_or_are_no_number():
    with pytest.raises(FieldError, match="no longer protects"):
        mda.check_memory_limit("courier-imapd", 3 * 1024**3)
    for raw in ("64M", "", True, "1e9", -5):
        with pytest.raises(FieldError):
            mda.check_memory_limit("courier-imapd", raw)
    for raw in (0, 1001, "2x"):
        with pytest.raises(FieldError) as refused:
            mda.check_connections("qmail-pop3d", raw)
        assert refused.value.field == "connections"
    assert mda.check_connections("qmail-pop3d", "25") == 25


def test_a_request_is_one_server_and_only_the_settings_sent():
    request = mda_changes.mda_request(
        {"service": "courier-imapd", "settings": {"connections": 30}, "expect": {"imapd": None}}
    )
    assert (request.service, request.connections, request.memory_limit) == ("courier-imapd", 30, None)
    assert request.expect == {"imapd": None}
    for payload, field in (
        ({"service": "qmail-smtpd", "settings": {"connections": 3}}, "service"),
        ({"service": "qmail-pop3d", "settings": {"port": 1}}, "port"),
        ({"service": "qmail-pop3d", "settings": {}}, "settings"),
        ({"service": "qmail-pop3d", "settings": {"connections": 3}, "expect": {"passwd": None}}, "expect"),
    ):
        with pytest.raises(FieldError) as refused:
            mda_changes.mda_request(payload)
        assert refused.value.field == field
    assert mda_changes.kilobytes(32 * MB) == 31250 and mda_changes.kilobytes(1025) == 2  # never below


def sh_syntax_ok(text: str, tmp_path: Path) -> None:
    script = tmp_path / "run"
    script.write_text(text)
    subprocess.run(["/bin/sh", "-n", str(script)], check=True)


@pytest.mark.parametrize("service", ["qmail-pop3d", "qmail-pop3d-ssl"])
def test_pop3d_scripts_read_back_as_written(service, tmp_path):
    params = mda_scripts.Pop3dParams.default(service, ROOTS, "/home/vpopmail/bin/vchkpw")
    text = mda_scripts.render_pop3d(service, params, ROOTS)
    sh_syntax_ok(text, tmp_path)
    reading = mda_scripts.read_pop3d(service, text, ROOTS)
    assert (reading.managed, reading.hand_edited, reading.params) == (True, False, params)
    assert ("/usr/bin/couriertls -server -tcpd" in text) == service.endswith("-ssl")
    edited = mda_scripts.read_pop3d(service, text.replace("MAX_CONNECTIONS=40", "MAX_CONNECTIONS=41"), ROOTS)
    assert edited.hand_edited is True and edited.connections == 41  # the seal no longer matches


def test_a_life_with_qmail_pop3d_script_is_read_for_its_two_limits():
    text = (
        "#!/bin/sh\nMAXPOP3D=20\n"
        "exec /usr/local/bin/softlimit -m 3000000 \\\n"
        "    /usr/local/bin/tcpserver -v -R -H -l 0 -c $MAXPOP3D 0 110 \\\n"
        "    /var/qmail/bin/qmail-popup mail.example.com /home/vpopmail/bin/vchkpw \\\n"
        "    /var/qmail/bin/qmail-pop3d Maildir 2>&1\n"
    )
    reading = mda_scripts.read_pop3d("qmail-pop3d", text, ROOTS)
    assert (reading.managed, reading.memory_limit, reading.connections) == (False, 3_000_000, 20)


@pytest.mark.parametrize("service", ["courier-imapd", "courier-imapd-ssl"])
def test_courier_scripts_read_courier_files(service, tmp_path):
    text = mda_scripts.render_imapd(service, ROOTS, "/etc/courier")
    sh_syntax_ok(text, tmp_path)
    assert '-maxprocs="$MAXDAEMONS"' in text and '"$((IMAP_ULIMITD * 1024))"' in text
    assert (". /etc/courier/imapd-ssl" in text) == service.endswith("-ssl")
    reading = mda_scripts.read_imapd(service, text, ROOTS, "/etc/courier")
    assert (reading.managed, reading.hand_edited) == (True, False)


def test_a_courier_script_with_its_own_numbers_says_courier_files_are_not_used():
    text = "#!/bin/sh\nexec softlimit -m 50000000 couriertcpd -maxprocs=12 143 imaplogin imapd Maildir\n"
    reading = mda_scripts.read_imapd("courier-imapd", text, ROOTS, "/etc/courier")
    assert (reading.memory_limit, reading.connections) == (50_000_000, 12)
    assert any("MAXDAEMONS is not used" in note for note in reading.notes)


def test_connections_in_use_from_tcpservers_last_status_line(tmp_path):
    log = tmp_path / "log"
    log.mkdir()
    (log / "current").write_text(
        "@400000006b0ef85a05174a94 tcpserver: status: 0/2\n"
        "@400000006b0ef85a05174e7c tcpserver: status: 1/2\n"
        "@400000006b0ef85a05174e7c tcpserver: pid 123 from 127.0.0.1\n"
        "@400000006b0ef85a05175264 tcpserver: status: 2/2\n"
    )
    found = tcpstatus.from_log(log, since=None)
    assert (found.connections, found.limit, found.source) == (2, 2, "tcpserver status line")
    assert tcpstatus.from_log(log, since=found.at + 60) is None  # logged before the last start
    assert tcpstatus.children(None) is None
