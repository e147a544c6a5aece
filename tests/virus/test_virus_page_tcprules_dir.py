"""The Virus Filtering page when NODEWORX_TCPRULES_DIR names a directory the SMTP rules were never
copied to: the box says where tcp.smtp still is, and a save refuses rather than put QMAILQUEUE in
rules no tcpserver reads (scanning would be said on, and not be). The agent runs in process."""

from __future__ import annotations

import dataclasses
import html as html_module
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailserver.agent import simscan_ops
from mailserver.core.models import Change
from mailserver.qmail.paths import Roots
from tests.support import stand_ins
from tests.virus.forms import save_clamav_box

pytestmark = pytest.mark.django_db

URL = "/mailserver/virus/"


@pytest.fixture
def rules_not_moved(roots: Roots, monkeypatch: pytest.MonkeyPatch) -> Iterator[Roots]:
    """simscan installed, tcp.smtp in ROOT/etc, and the agent configured with
    NODEWORX_TCPRULES_DIR=/etc/tcprules.d, which does not hold it (nor exist)."""
    moved = dataclasses.replace(simscan_ops.settings, tcprules_dir=Path("/etc/tcprules.d"))
    with stand_ins.simscan_installed(roots):
        monkeypatch.setattr(simscan_ops, "settings", moved)
        yield roots


def test_the_box_says_the_rules_are_still_in_etc(admin_client, rules_not_moved):
    html = html_module.unescape(admin_client.get(URL).content.decode())
    etc = rules_not_moved.system / "etc"
    assert f"tcp.smtp is in {etc}, not in {etc}/tcprules.d, where NODEWORX_TCPRULES_DIR keeps" in html


def test_turning_scanning_on_is_refused_and_nothing_is_written(admin_client, rules_not_moved):
    source, cdb = rules_not_moved.rules("smtp")
    before = source.read_bytes(), cdb.read_bytes()
    html = html_module.unescape(save_clamav_box(admin_client, clam=True).content.decode())
    assert "Not saved: tcp.smtp is in " in html
    assert "copy it (and tcp.smtp.cdb) there, then point the SMTP run scripts at it" in html
    assert (source.read_bytes(), cdb.read_bytes()) == before
    assert not rules_not_moved.control("simcontrol").exists()
    assert not (rules_not_moved.system / "etc/tcprules.d").exists()
    assert Change.objects.get().result != "applied"
