"""The demo sets up spamd, clamd, freshclam and Courier IMAP where this machine has them, with the
panel's own run scripts, and starts without any of them when they are absent.

The daemons are not run here (no svscan): the tree is checked as the agent reads it. Running
them for real is what tests/filters does with the same run scripts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailserver.clamav import scripts as clam_scripts
from mailserver.demo import daemons
from mailserver.demo.builder import build
from mailserver.qmail import mda_scripts
from mailserver.qmail.paths import Roots
from mailserver.spamassassin import spamd

DAEMONS = ("spamd", "clamd", "freshclam", "courier-imapd", "courier-imapd-ssl")


@pytest.fixture
def demo(tmp_path: Path) -> Roots:
    root = tmp_path / "demo"
    roots = Roots(
        qmail=root / "var/qmail", service=root / "service", log=root / "var/log/qmail",
        bin=Path("/usr/bin"), tcprules=root / "etc", system=root,
    )  # fmt: skip
    build(roots, smtpd_user="nobody", log_user="nobody")
    return roots


def installed(name: str) -> bool:
    return not daemons._absent(daemons._SYSTEM_PROGRAMS[name][1])


def set_up(roots: Roots) -> list[str]:
    return daemons.set_up(roots, log_user="nobody", checkpassword="/bin/true")


@pytest.mark.skipif(os.getuid() != 0, reason="spamd's home is given to debian-spamd: root only")
def test_each_installed_daemon_gets_the_panels_run_script_and_only_clamd_spamd_and_imap_start(demo):
    said = set_up(demo)
    for name in DAEMONS:
        directory = demo.service_dir(name)
        if not installed(name):
            assert not directory.exists() and any(line.startswith(f"{name}: not set up") for line in said)
            continue
        assert not (directory / "log" / "down").exists()
        assert (directory / "down").exists() == (name == "freshclam")  # it could only fail to update
    if installed("spamd"):
        params, script = spamd.configured(demo)
        assert script is not None and script.managed and not script.hand_edited
        assert (params.port, params.network_tests) == (daemons.SPAMD_PORT, False)
        assert (demo.system / "usr/sbin/spamd").resolve() == Path("/usr/sbin/spamd")
    if installed("clamd"):
        run = (demo.service_dir("clamd") / "run").read_text()
        program = str(demo.system / "usr/sbin/clamd")
        assert clam_scripts.parse("clamd", run, program).managed
        assert (demo.system / "var/lib/clamav/test.hdb").read_text() == daemons.EICAR_SIGNATURE
        conf = (demo.system / "etc/clamav/clamd.conf").read_text()
        assert f"LocalSocket {demo.system}/run/clamav/clamd.ctl\n" in conf
    if installed("courier-imapd"):
        text = (demo.system / "etc/courier/imapd").read_text()
        assert "\nPORT=10143\n" in text and "\nADDRESS=127.0.0.1\n" in text
        run = (demo.service_dir("courier-imapd") / "run").read_text()
        assert mda_scripts.read_imapd("courier-imapd", run, demo, str(demo.system / "etc/courier")).managed


def test_a_service_the_demo_has_is_left_as_it_is(demo):
    if not installed("clamd"):
        pytest.skip("clamd is not installed here")
    set_up(demo)
    run = demo.service_dir("clamd") / "run"
    run.write_text("#!/bin/sh\n# edited by the admin\n")
    (demo.service_dir("clamd") / "down").touch()
    assert set_up(demo) == []
    assert run.read_text() == "#!/bin/sh\n# edited by the admin\n"


def test_without_the_programs_the_demo_has_no_daemon_and_says_why(demo, monkeypatch):
    for name, (make, _) in list(daemons._SYSTEM_PROGRAMS.items()):
        monkeypatch.setitem(daemons._SYSTEM_PROGRAMS, name, (make, ("/nonexistent/usr/sbin/daemon",)))
    said = set_up(demo)
    missing = "/nonexistent/usr/sbin/daemon"
    assert said == [f"{name}: not set up, {missing} is not on this machine" for name in DAEMONS]
    assert not any(demo.service_dir(name).exists() for name in DAEMONS)
    assert not demo.service_dir("qmail-pop3d").exists()  # qmail's own programs are not in the demo
