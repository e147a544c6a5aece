"""Courier's NAME=value files, edited in place as Courier's own upgrade tool expects."""

from __future__ import annotations

from pathlib import Path

from mailserver.courier import config

DATA = Path(__file__).parent / "data"
IMAPD = (DATA / "debian-imapd").read_text()  # courier-imap 5.0.13, Debian 12
IMAPD_SSL = (DATA / "debian-imapd-ssl").read_text()


def test_values_as_sh_leaves_them():
    found = config.assignments(IMAPD)
    assert found["MAXDAEMONS"].value == "40"
    assert found["TCPDOPTS"].value == "-nodnslookup -noidentlookup"
    assert found["IMAP_CAPABILITY_TLS"].value is None  # "$IMAP_CAPABILITY AUTH=PLAIN": expanded at run time
    assert found["IMAP_ULIMITD"].value == "131072"


def test_editing_a_value_keeps_every_other_line_and_the_marker():
    edited = config.with_value(IMAPD, "MAXDAEMONS", "25", note="x")
    before, after = IMAPD.split("\n"), edited.split("\n")
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [("MAXDAEMONS=40", "MAXDAEMONS=25")]
    assert "##NAME: MAXDAEMONS:0" in edited


def test_a_setting_the_file_lacks_gets_a_marked_block():
    edited = config.with_value(IMAPD_SSL, "MAXDAEMONS", "10", note="Set by the control panel.")
    assert edited.startswith(IMAPD_SSL.rstrip("\n"))
    assert edited.endswith("\n##NAME: MAXDAEMONS:0\n#\n# Set by the control panel.\n\nMAXDAEMONS=10\n")


def test_the_secure_server_reads_imapd_then_imapd_ssl():
    texts = {"imapd": IMAPD, "imapd-ssl": IMAPD_SSL}
    assert config.effective(texts, "courier-imapd-ssl", "MAXDAEMONS") == config.CourierValue("40", "imapd")
    texts["imapd-ssl"] = config.with_value(IMAPD_SSL, "MAXDAEMONS", "10", note="x")
    assert config.effective(texts, "courier-imapd-ssl", "MAXDAEMONS") == config.CourierValue(
        "10", "imapd-ssl"
    )
    assert config.effective(texts, "courier-imapd", "MAXDAEMONS") == config.CourierValue("40", "imapd")
