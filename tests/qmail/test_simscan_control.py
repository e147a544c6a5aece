"""simscan's control/simcontrol and QMAILQUEUE in tcp.smtp, as simscan and tcprules read them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mailserver.qmail import qmailqueue, simcontrol
from mailserver.qmail.errors import FieldError


def test_the_default_line_holds_the_pages_settings():
    text = "example.com:clam=no\n:clam=yes,spam=yes,spam_hits=12.5,attach=.exe:.scr\n"
    assert simcontrol.scan_settings(text) == simcontrol.ScanSettings(True, True, "12.5", True)
    assert simcontrol.scan_settings("") == simcontrol.ScanSettings(
        False, False, "10.0", False
    )  # simscan's own
    assert simcontrol.other_filters(text) == ["example.com: example.com:clam=no", "default: attach=.exe:.scr"]


def test_writing_changes_only_the_default_lines_three_parameters():
    text = "example.com:clam=no\n:attach=.exe,clam=no\nboss@example.org:spam=no\n"
    new = simcontrol.with_scan_settings(text, spam=True, clam=True, spam_hits="9")
    assert (
        new == "example.com:clam=no\n:clam=yes,spam=yes,spam_hits=9,attach=.exe\nboss@example.org:spam=no\n"
    )
    assert simcontrol.with_scan_settings("", spam=False, clam=True, spam_hits="10") == (
        ":clam=yes,spam=no,spam_hits=10\n"
    )


@pytest.mark.parametrize("raw", ["8x", "", "0", "abc", "1001", True, "-3"])
def test_spam_hits_is_a_score_simscan_reads_whole(raw):
    with pytest.raises(FieldError) as refused:
        simcontrol.check_spam_hits(raw)
    assert refused.value.field == "spam_hits"


def test_a_request_changes_only_what_it_sends():
    current = simcontrol.ScanSettings(True, False, "12", True)
    assert simcontrol.scan_request({"clam": True}, current) == simcontrol.ScanRequest(True, True, "12")
    with pytest.raises(FieldError) as refused:
        simcontrol.scan_request({"virus": True}, current)
    assert refused.value.field == "virus"


RULES = '# mine\n127.0.0.1:allow,RELAYCLIENT=""\n127.0.0.3:deny\n:allow,X=%a,b%\n'


def test_tcprules_lines_as_tcprules_reads_them():
    assert qmailqueue.parse_rule('127.0.0.1:allow,RELAYCLIENT=""') == qmailqueue.Rule(
        "127.0.0.1", "allow", (("RELAYCLIENT", ""),)
    )
    assert qmailqueue.parse_rule(":allow,X=%a,b%").variables == (("X", "a,b"),)  # any repeated char quotes
    assert (
        qmailqueue.parse_rule(":allow,QMAILQUEUE=/var/qmail/bin/simscan") is None
    )  # tcprules refuses it too
    assert qmailqueue.parse_rule("# comment") is None


def test_the_hook_is_added_to_every_allow_rule_and_removed_again(tmp_path: Path):
    program = "/var/qmail/bin/simscan"
    hooked = qmailqueue.with_hook(RULES, program)
    assert hooked == (
        '# mine\n127.0.0.1:allow,RELAYCLIENT="",QMAILQUEUE="/var/qmail/bin/simscan"\n127.0.0.3:deny\n'
        ':allow,X="a,b",QMAILQUEUE="/var/qmail/bin/simscan"\n'
    )
    assert qmailqueue.read_hook(hooked).everywhere(program)
    assert qmailqueue.with_hook(hooked, None) == RULES.replace("%a,b%", '"a,b"')
    # The real tcprules compiles it and tcprulescheck shows what tcpserver will set.
    cdb = tmp_path / "tcp.smtp.cdb"
    subprocess.run(
        ["/usr/bin/tcprules", str(cdb), str(tmp_path / "tmp")], input=hooked, text=True, check=True
    )
    shown = subprocess.run(
        ["/usr/bin/tcprulescheck", str(cdb)], capture_output=True, text=True, check=True,
        env={**os.environ, "TCPREMOTEIP": "192.0.2.1"},
    ).stdout  # fmt: skip
    assert "set environment variable QMAILQUEUE=/var/qmail/bin/simscan\n" in shown
    assert "set environment variable X=a,b\n" in shown


def test_a_value_holding_the_double_quote_keeps_it():
    rule = qmailqueue.parse_rule(":allow,GREETING='say \"hi\"'")
    assert qmailqueue.render_rule(rule) == ":allow,GREETING='say \"hi\"'"
