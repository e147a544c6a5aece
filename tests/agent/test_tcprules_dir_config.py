"""NODEWORX_TCPRULES_DIR: where the SMTP rules (tcp.smtp, tcp.submission and their cdbs) live.

/etc by default, as before; set, it moves the rules alone (under NODEWORX_SERVER_ROOT like every
root) and the run scripts the panel writes read their cdb there.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mailserver.agent.config import load
from mailserver.qmail import runscript
from mailserver.qmail.environment import INSTALL_DIR
from mailserver.qmail.runparams import SmtpdParams


@pytest.fixture
def real_host(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("NODEWORX_SERVER_ROOT", "/")
    monkeypatch.delenv("NODEWORX_TCPRULES_DIR", raising=False)
    return monkeypatch


def test_without_the_setting_the_rules_stay_in_etc(real_host: pytest.MonkeyPatch) -> None:
    roots = load().roots
    assert roots.rules("smtp") == (Path("/etc/tcp.smtp"), Path("/etc/tcp.smtp.cdb"))
    real_host.setenv("NODEWORX_TCPRULES_DIR", "")  # empty counts as unset
    assert load().roots.rules("submission")[1] == Path("/etc/tcp.submission.cdb")


def test_the_setting_moves_the_rules_and_the_run_scripts_cdb(real_host: pytest.MonkeyPatch) -> None:
    real_host.setenv("NODEWORX_TCPRULES_DIR", "/etc/tcprules.d")
    roots = load().roots
    assert roots.rules("smtp") == (Path("/etc/tcprules.d/tcp.smtp"), Path("/etc/tcprules.d/tcp.smtp.cdb"))
    assert roots.qmail == Path("/var/qmail")  # nothing else moves
    params = dataclasses.replace(SmtpdParams.primary(roots), user="nobody")
    script = runscript.render_smtpd(params, roots)
    assert "TCPRULES_CDB=/etc/tcprules.d/tcp.smtp.cdb\n" in script
    assert SmtpdParams.submission(roots).tcprules_cdb == "/etc/tcprules.d/tcp.submission.cdb"


def test_the_setting_is_a_host_path_found_under_the_server_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODEWORX_SERVER_ROOT", "var/demo")
    monkeypatch.setenv("NODEWORX_TCPRULES_DIR", "/etc/tcprules.d/")
    assert load().roots.tcprules == INSTALL_DIR / "var/demo/etc/tcprules.d"


@pytest.mark.parametrize("value", ["tcprules.d", "/etc/../root", "/"])
def test_a_directory_that_is_not_absolute_or_climbs_out_is_refused(
    real_host: pytest.MonkeyPatch, value: str
) -> None:
    real_host.setenv("NODEWORX_TCPRULES_DIR", value)
    with pytest.raises(ValueError, match="NODEWORX_TCPRULES_DIR must be an absolute directory"):
        load()
