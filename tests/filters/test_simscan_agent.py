"""SMTP-level scanning: control/simcontrol, QMAILQUEUE for qmail-smtpd's connections, and the red alert.

simscan is in no package registry: without it the panel writes simcontrol and says that
nothing is scanned yet; with it (a stand-in program here, tests only) every allow rule of
tcp.smtp hands mail to it, which a real tcpserver reading the rebuilt cdb confirms.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator

import pytest

from mailserver.core import agent
from mailserver.protocol import Op
from mailserver.qmail.paths import Roots
from tests.support import daemons, stand_ins
from tests.support.stack import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def smtp_rules(roots: Roots) -> Iterator[Roots]:
    with stand_ins.smtp_rules_kept(roots):
        yield roots


@pytest.fixture
def simscan(smtp_rules: Roots) -> Roots:
    return stand_ins.install_simscan(smtp_rules)


def scanning(**settings) -> dict:
    return agent.call(Op.SIMSCAN_WRITE, settings)


def env_of_a_connection(cdb, variable: str) -> str:
    """What a real tcpserver -x CDB gives the program it runs for a client from 127.0.0.1."""
    port = free_port()
    server = subprocess.Popen(
        ["/usr/bin/tcpserver", "-H", "-R", "-x", str(cdb), "127.0.0.1", str(port),
         "/bin/sh", "-c", f'echo "{variable}=${{{variable}-unset}}"'],
        start_new_session=True,
    )  # fmt: skip
    try:
        line = daemons.wait_for(lambda: _read_line(port), 10, "tcpserver")
    finally:
        server.terminate()
        server.wait(timeout=5)
    return line


def _read_line(port: int) -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            return conn.makefile().readline().strip()
    except OSError:
        return None


def test_without_simscan_the_settings_are_written_and_the_page_says_nothing_is_scanned(smtp_rules):
    rules_before = smtp_rules.rules("smtp")[0].read_text()

    answer = scanning(spam=True, clam=True, spam_hits="8.5")

    assert (smtp_rules.control_dir / "simcontrol").read_text() == ":clam=yes,spam=yes,spam_hits=8.5\n"
    assert smtp_rules.rules("smtp")[0].read_text() == rules_before  # QMAILQUEUE never names a missing program
    state = answer["state"]
    assert state["simscan_installed"] is False
    assert (state["spam"], state["clam"], state["spam_hits"]) == (True, True, "8.5")
    assert (state["spam_active"], state["clam_active"]) == (False, False)
    assert any("needs simscan, which is not installed" in note for note in answer["notes"])
    assert agent.call(Op.MAIL_ALERTS)["alerts"] == []  # no simscan: no mail can be refused for clamd


def test_with_simscan_every_allowed_connection_hands_its_mail_to_it(simscan):
    source, cdb = simscan.rules("smtp")
    program = str(simscan.qmail_program("simscan"))
    assert env_of_a_connection(cdb, "QMAILQUEUE") == "QMAILQUEUE=unset"

    answer = scanning(clam=True)

    assert f'127.0.0.1:allow,RELAYCLIENT="",QMAILQUEUE="{program}"' in source.read_text()
    assert env_of_a_connection(cdb, "QMAILQUEUE") == f"QMAILQUEUE={program}"
    assert env_of_a_connection(cdb, "RELAYCLIENT") == "RELAYCLIENT="  # the rest of the rule is kept
    assert answer["state"]["qmailqueue"]["everywhere"] is True
    assert answer["state"]["clam_active"] is True

    scanning(clam=False, spam=False)
    assert "QMAILQUEUE" not in source.read_text()
    assert env_of_a_connection(cdb, "QMAILQUEUE") == "QMAILQUEUE=unset"


def test_virus_scanning_on_with_clamd_down_is_a_red_alert_for_every_page(simscan):
    scanning(clam=True)
    alerts = agent.call(Op.MAIL_ALERTS)["alerts"]
    assert [(a["level"], a["page"]) for a in alerts] == [("danger", "virus")]
    assert "incoming mail is refused" in alerts[0]["text"]
    scanning(clam=False)
    assert agent.call(Op.MAIL_ALERTS)["alerts"] == []


def test_no_alert_while_clamd_answers(simscan, clamav_running):
    daemons.start(clamav_running.roots, "clamd")
    daemons.wait_for(clamav_running.socket.exists, 30, "clamd's socket")
    scanning(clam=True)
    assert agent.call(Op.MAIL_ALERTS)["alerts"] == []
    daemons.stop(clamav_running.roots, "clamd")
    assert [a["level"] for a in agent.call(Op.MAIL_ALERTS)["alerts"]] == ["danger"]
    daemons.start(clamav_running.roots, "clamd")


def test_a_bad_threshold_is_refused_beside_its_field(smtp_rules):
    for value in ("8x", "0", "-1", ""):
        with pytest.raises(agent.AgentError) as refused:
            scanning(spam_hits=value)
        assert refused.value.field == "spam_hits"
    assert not (smtp_rules.control_dir / "simcontrol").exists()


def test_other_lines_of_simcontrol_are_kept(smtp_rules):
    control = smtp_rules.control_dir / "simcontrol"
    control.write_text("example.com:clam=no\n:clam=yes,attach=.exe:.scr\nboss@example.org:spam=no\n")
    scanning(spam=True, spam_hits="12")
    assert control.read_text() == (
        "example.com:clam=no\n:clam=yes,spam=yes,spam_hits=12,attach=.exe:.scr\nboss@example.org:spam=no\n"
    )


def test_asking_for_what_simscan_already_does_writes_and_rebuilds_nothing(simscan):
    control = simscan.control_dir / "simcontrol"
    control.unlink(missing_ok=True)  # simscan's defaults: nothing scanned, spam_hits 10
    source, cdb = simscan.rules("smtp")
    program = str(simscan.qmail_program("simscan"))
    source.write_text(source.read_text().replace(":allow", f':allow,QMAILQUEUE="{program}"', 1))  # by hand
    rules, built = source.read_text(), cdb.read_bytes()

    answer = scanning(spam=False, clam=False, spam_hits="10")

    assert answer["changes"] == []
    assert not control.exists()
    assert (source.read_text(), cdb.read_bytes()) == (rules, built)

    answer = scanning(spam=True)  # a real change: simcontrol, and every allow rule hands mail to simscan
    assert [change["target"] for change in answer["changes"]] == ["control/simcontrol", "tcprules tcp.smtp"]
    assert control.read_text() == ":clam=no,spam=yes,spam_hits=10.0\n"
    assert answer["state"]["qmailqueue"]["everywhere"] is True
    assert env_of_a_connection(cdb, "QMAILQUEUE") == f"QMAILQUEUE={program}"
