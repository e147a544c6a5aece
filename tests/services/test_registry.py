"""The registry of managed services: every one the panel will manage, how each is found installed,
the page it belongs to, and what an admin is told before stopping it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mailserver.qmail import sealed
from mailserver.qmail.paths import Roots
from mailserver.services import registry
from mailserver.services.actions import Action, consequence, parse
from mailserver.services.registry import Page, Root


def test_it_holds_every_service_the_panel_will_manage_on_its_page() -> None:
    pages = {service.name: service.page for service in registry.SERVICES}
    assert pages == {
        "qmail-smtpd": Page.MTA,
        "qmail-submission": Page.MTA,
        "qmail-send": Page.MTA,
        "qmail-pop3d": Page.MDA,
        "qmail-pop3d-ssl": Page.MDA,
        "courier-imapd": Page.MDA,
        "courier-imapd-ssl": Page.MDA,
        "spamd": Page.SPAM,
        "clamd": Page.VIRUS,
        "freshclam": Page.VIRUS,
    }
    assert registry.names(registry.on_page("mta")) == ("qmail-smtpd", "qmail-submission", "qmail-send")


def test_every_name_is_a_service_directory_inside_the_roots() -> None:
    for service in registry.SERVICES:
        assert Roots().service_dir(service.name) == Path("/service") / service.name
        assert Roots().log_dir(service.log).parent == Path("/var/log/qmail")


def test_it_names_the_run_script_template_the_panel_writes_for_every_service() -> None:
    written = {s.name: s.run_template for s in registry.SERVICES}
    assert written == {
        "qmail-smtpd": "qmail/smtpd",
        "qmail-submission": "qmail/smtpd",
        "qmail-send": "qmail/send",
        "qmail-pop3d": "qmail/pop",
        "qmail-pop3d-ssl": "qmail/pop",
        "courier-imapd": "courier/imapd",
        "courier-imapd-ssl": "courier/imapd",
        "spamd": "spamassassin/spamd",
        "clamd": "clamav/clamd",
        "freshclam": "clamav/freshclam",
    }
    for service in registry.SERVICES:
        package, name = service.template_file
        assert sealed.template_version(package, name) >= 1  # the file exists and carries its marker


def test_the_services_it_offers_to_set_up_are_those_the_agent_writes_a_run_script_for() -> None:
    from mailserver.agent import autorestart_ops

    offered = {service.name for service in registry.SERVICES if service.setup}
    assert offered == set(autorestart_ops.SETUP)
    assert not {"qmail-smtpd", "qmail-submission", "qmail-send"} & offered  # they come with qmail


@pytest.mark.parametrize("name", [None, 3, "sshd", "qmail-send/log", "../qmail-send", "QMAIL-SEND", ""])
def test_it_knows_no_other_service(name: object) -> None:
    with pytest.raises(registry.UnknownService):
        registry.get(name)


def roots_in(tmp_path: Path) -> Roots:
    return Roots(qmail=tmp_path / "var/qmail", bin=tmp_path / "usr/bin", system=tmp_path)


def install(path: Path, mode: int = 0o755) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(mode)


def test_a_service_is_installed_when_every_program_it_runs_is_an_executable(tmp_path: Path) -> None:
    roots = roots_in(tmp_path)
    smtpd = registry.get("qmail-smtpd")
    assert smtpd.missing(roots) == [roots.qmail / "bin/qmail-smtpd", roots.bin / "tcpserver"]
    install(roots.qmail / "bin/qmail-smtpd")
    install(roots.bin / "tcpserver", mode=0o644)  # present but not executable: still missing
    assert smtpd.missing(roots) == [roots.bin / "tcpserver"]
    install(roots.bin / "tcpserver")
    assert smtpd.missing(roots) == []


def test_packaged_daemons_are_looked_for_under_the_server_root(tmp_path: Path) -> None:
    roots = roots_in(tmp_path)
    assert registry.get("spamd").missing(roots) == [tmp_path / "usr/sbin/spamd"]
    install(tmp_path / "usr/sbin/spamd")
    assert registry.get("spamd").missing(roots) == []
    # On a real host (server root /) the same entry is Debian's path.
    assert registry.get("spamd").programs[0].at(Roots()) == Path("/usr/sbin/spamd")


DEBIAN_PACKAGES = {
    "usr/sbin/spamd": "spamd",
    "usr/sbin/clamd": "clamav-daemon",
    "usr/bin/freshclam": "clamav-freshclam",
    "usr/bin/imapd": "courier-imap",
    "usr/lib/courier/courier/imaplogin": "courier-imap",
    "usr/sbin/couriertcpd": "courier-base",
    "usr/bin/couriertls": "courier-base",
}


def test_every_packaged_program_is_one_of_the_debian_packages_files() -> None:
    system = {p.path for s in registry.SERVICES for p in s.programs if p.root is Root.SYSTEM}
    assert system == set(DEBIAN_PACKAGES)


@pytest.mark.skipif(not shutil.which("dpkg"), reason="not a Debian system")
@pytest.mark.parametrize(("path", "package"), sorted(DEBIAN_PACKAGES.items()))
def test_dpkg_says_the_package_installs_that_program_where_it_is_installed(path: str, package: str) -> None:
    owner = subprocess.run(["/usr/bin/dpkg", "-S", f"/{path}"], capture_output=True, text=True, timeout=30)
    if owner.returncode != 0:
        pytest.skip(f"{package} is not installed here")
    assert owner.stdout.split(":")[0] == package


def test_stop_and_restart_ask_first_and_say_what_stops_working() -> None:
    smtpd = registry.get("qmail-smtpd")
    assert [a for a in Action if a.needs_confirmation] == [Action.DOWN, Action.RESTART]
    stop = consequence(smtpd, Action.DOWN)
    assert "All incoming mail is refused" in stop and "until you start it" in stop
    assert "All incoming mail is refused" in consequence(smtpd, Action.RESTART)
    assert "No mail is delivered" in consequence(registry.get("qmail-send"), Action.DOWN)
    assert consequence(smtpd, Action.UP) == ""
    for service in registry.SERVICES:
        assert service.while_down.endswith(".") and len(service.while_down) > 40


@pytest.mark.parametrize("value", ["kill", "UP", "", None, ["up"], "boot"])
def test_it_parses_no_other_action(value: object) -> None:
    assert parse(value) is None
    assert parse("boot-off") is Action.BOOT_OFF


def test_no_title_names_a_port_an_admin_can_move() -> None:
    # The servers' ports come from their run scripts and Courier's files: the pages show the real one.
    assert {service.name: service.title for service in registry.SERVICES if "port" in service.title} == {}
