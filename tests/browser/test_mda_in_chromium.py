"""An admin changes POP3 Connections (max) on the MDA page in a real Chromium and finds it in the run
script on disk and on the reloaded page; with the server running, the connections in use show beside it.
On Debian's Courier IMAP, running, a new memory limit is written to Courier's file and the server is
restarted under it. A refused value stands beside its field, and axe finds nothing wrong with the page."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from mailserver.core import agent
from mailserver.protocol import Op
from mailserver.qmail import services
from mailserver.qmail.paths import Roots
from tests.browser.test_accessibility_axe import axe_page, check, log_in, summary  # noqa: F401 (a fixture)
from tests.filters.conftest import POPUP_STAND_IN, Courier, courier_installed  # noqa: F401 (a fixture)
from tests.support import daemons
from tests.support.stack import free_port

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture
def pop3d_set_up_here(roots: Roots) -> Iterator[Roots]:
    """qmail-popup and qmail-pop3d stand-ins (tcpserver and softlimit are real); the qmail-pop3d
    service a save sets up under the session's svscan is taken away again after the test."""
    daemons.open_for_daemons(roots)
    programs = [roots.qmail_program("qmail-popup"), roots.qmail_program("qmail-pop3d")]
    for program in programs:
        program.write_text(POPUP_STAND_IN)
        program.chmod(0o755)
    daemons.remove_service(roots, "qmail-pop3d")
    try:
        yield roots
    finally:
        daemons.remove_service(roots, "qmail-pop3d")
        for program in programs:
            program.unlink(missing_ok=True)


def save_pop3_connections(page: Page, url: str, value: str) -> None:
    page.goto(f"{url}/mailserver/mda/")
    box = page.get_by_test_id("section-pop3")
    box.get_by_label("POP3 Connections (max)").fill(value)
    box.get_by_test_id("save-pop3").click()
    expect(page.get_by_test_id("section-pop3").get_by_test_id("notice")).to_contain_text("Saved:")


def test_admin_changes_pop3_connections_and_it_lands_in_the_run_script(
    logged_in_page, live_server, pop3d_set_up_here
):
    roots = pop3d_set_up_here
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/mda/")
    box = page.get_by_test_id("section-pop3")
    connections = box.get_by_label("POP3 Connections (max)")
    expect(connections).to_have_value("40")
    expect(box.get_by_test_id("script-state-qmail-pop3d")).to_contain_text("not set up yet")

    connections.fill("25")
    box.get_by_test_id("save-pop3").click()

    notice = page.get_by_test_id("section-pop3").get_by_test_id("notice")
    expect(notice).to_contain_text("qmail-pop3d set up under daemontools (stopped)")
    expect(notice).to_contain_text("the change takes effect when it starts")
    assert "MAX_CONNECTIONS=25\n" in (roots.service_dir("qmail-pop3d") / "run").read_text()
    page.reload()
    box = page.get_by_test_id("section-pop3")
    expect(box.get_by_label("POP3 Connections (max)")).to_have_value("25")
    expect(box.get_by_test_id("script-state-qmail-pop3d")).to_contain_text("managed by the panel")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "mda-page.png"), full_page=True)


def test_a_running_pop3_server_shows_its_connections_in_use_beside_the_maximum(
    logged_in_page, live_server, pop3d_set_up_here
):
    roots = pop3d_set_up_here
    page = logged_in_page
    save_pop3_connections(page, live_server.url, "2")
    port = free_port()
    run = roots.service_dir("qmail-pop3d") / "run"  # on a free loopback port: edited by hand
    run.write_text(
        run.read_text()
        .replace("LISTEN_PORT=110\n", f"LISTEN_PORT={port}\n")
        .replace("LISTEN_ADDRESS=0\n", "LISTEN_ADDRESS=127.0.0.1\n")
    )
    daemons.start(roots, "qmail-pop3d")
    try:
        daemons.accepting(port)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            assert client.recv(200).startswith(b"+OK <")

            def one_in_use() -> bool:
                found = agent.call(Op.MDA_READ_STATE)["servers"]["qmail-pop3d"]["in_use"]
                return bool(found and found["connections"] == 1)

            daemons.wait_for(one_in_use, 15, "tcpserver's status line 1/2")
            page.reload()
            box = page.get_by_test_id("section-pop3")
            expect(box).to_contain_text(
                re.compile(r"Now: 1 of 2 in use \(tcpserver's status line at \d\d:\d\d\)")
            )
            expect(box.get_by_test_id("status-qmail-pop3d")).to_have_text("up")
            expect(box.get_by_test_id("script-state-qmail-pop3d")).to_contain_text("edited by hand")
    finally:
        daemons.stop(roots, "qmail-pop3d")


def address_space(pid: int) -> int:
    """The soft RLIMIT_AS of a running process, from /proc/PID/limits."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max address space"):
            return int(line.split()[3])
    raise AssertionError(f"no address space limit for {pid}")


def couriertcpd(roots: Roots) -> int | None:
    """The pid of courier-imapd once its run script has exec'd couriertcpd."""
    status = services.read_status(roots, "courier-imapd")
    try:
        exe = Path(f"/proc/{status.pid}/exe").resolve().name if status.up else ""
    except OSError:
        return None
    return status.pid if exe == "couriertcpd" else None


def test_a_new_imap_memory_limit_restarts_the_running_courier_under_it(
    logged_in_page,
    live_server,
    courier_installed: Courier,  # noqa: F811 (the imported fixture)
):
    roots, etc = courier_installed.roots, courier_installed.etc
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/mda/")
    box = page.get_by_test_id("section-imap")
    expect(box.get_by_label("IMAP Connections (max)")).to_have_value("40")
    box.get_by_label("IMAP Connections (max)").fill("5")  # the first save sets up the service
    box.get_by_test_id("save-imap").click()
    expect(page.get_by_test_id("section-imap").get_by_test_id("notice")).to_contain_text(
        "courier-imapd set up under daemontools (stopped)"
    )
    daemons.start(roots, "courier-imapd")
    try:
        old = daemons.wait_for(lambda: couriertcpd(roots), 10, "couriertcpd")
        page.reload()
        box = page.get_by_test_id("section-imap")
        box.get_by_label("IMAP Memory Limit (MB)").fill("64")
        box.get_by_test_id("save-imap").click()

        notice = page.get_by_test_id("section-imap").get_by_test_id("notice")
        expect(notice).to_contain_text("courier-imapd was restarted to take the change.")
        assert "\nIMAP_ULIMITD=62500\n" in (etc / "imapd").read_text()  # 64 MB in kB, rounded up
        pid = daemons.wait_for(lambda: couriertcpd(roots), 10, "the new couriertcpd")
        assert pid != old and address_space(pid) == 62500 * 1024

        daemons.accepting(courier_installed.port)
        with socket.create_connection(("127.0.0.1", courier_installed.port), timeout=5) as client:
            assert client.recv(200).startswith(b"* OK")
            page.reload()
            box = page.get_by_test_id("section-imap")
            expect(box.get_by_label("IMAP Memory Limit (MB)")).to_have_value("64")
            expect(box).to_contain_text("Now: 1 open (couriertcpd's children).")
            expect(box).to_contain_text(f"Set in {etc}/imapd (IMAP_ULIMITD).")
    finally:
        daemons.stop(roots, "courier-imapd")


def test_a_refused_memory_limit_is_explained_beside_its_field_and_axe_finds_no_violation(
    axe_page: Page,  # noqa: F811 (the imported fixture)
    admin_user,
    pop3d_set_up_here,
):
    log_in(axe_page)
    axe_page.goto("/mailserver/mda/")
    report: dict[str, list[str]] = {}
    check(axe_page, "MDA", report)
    box = axe_page.get_by_test_id("section-pop3-ssl")
    box.get_by_label("Secure POP3 Memory Limit (MB)").fill("5000")  # above the floor: the browser lets it go
    box.get_by_test_id("save-pop3-ssl").click()

    box = axe_page.get_by_test_id("section-pop3-ssl")
    expect(box.locator(".invalid-feedback")).to_contain_text("no longer protects the host")
    expect(box.get_by_label("Secure POP3 Memory Limit (MB)")).to_have_value("5000")
    expect(box.get_by_test_id("save-status-pop3-ssl")).to_have_text("Not saved: 1 error")
    assert not pop3d_set_up_here.service_dir("qmail-pop3d-ssl").exists()
    check(axe_page, "MDA, refused save", report)
    assert not report, summary(report)
