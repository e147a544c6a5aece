"""The MDA operations, with the limits taking effect on running servers under the session's svscan.

qmail-pop3d runs under a real tcpserver and softlimit (qmail-popup itself is a stand-in:
qmail is in no package registry); Courier's imapd and imapd-ssl are Debian's, logging in a
real system user through authdaemond and PAM.
"""

from __future__ import annotations

import imaplib
import socket
import ssl
import time
from pathlib import Path

import pytest

from mailserver.core import agent
from mailserver.protocol import Op
from mailserver.qmail import mda_scripts, services
from tests.support import daemons
from tests.support.stack import free_port

pytestmark = pytest.mark.integration
MB = 1_000_000


def address_space(pid: int) -> int:
    """The soft RLIMIT_AS of a running process, from /proc/PID/limits."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max address space"):
            return int(line.split()[3])
    raise AssertionError(f"no address space limit for {pid}")


def greeting(port: int, timeout: float = 2.0) -> tuple[socket.socket, bytes | None]:
    """Connect and wait for the server's first line; None when none comes (the client waits)."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        return conn, conn.recv(200)
    except TimeoutError:
        return conn, None


def mda_write(service: str, **settings) -> dict:
    return agent.call(Op.MDA_WRITE, {"service": service, "settings": settings}, timeout=30)


def restart(roots, service: str) -> int:
    """Restart and wait for the new couriertcpd itself (the run script execs it after a moment)."""
    old = services.read_status(roots, service).pid
    services.control(roots, service, "restart")

    def new_server() -> int | None:
        status = services.read_status(roots, service)
        if not status.up or status.pid == old:
            return None
        try:
            return status.pid if Path(f"/proc/{status.pid}/exe").resolve().name == "couriertcpd" else None
        except OSError:
            return None

    return daemons.wait_for(new_server, 10, f"{service} to come back")


def test_pop3d_limits_take_effect_on_a_running_tcpserver(pop3d_programs):
    roots = pop3d_programs
    port = free_port()
    # The panel creates the missing service (stopped) with its run script; the test moves it to a free port.
    answer = mda_write("qmail-pop3d", memory_limit=40 * MB, connections=2)
    assert [c["action"] for c in answer["changes"]] == ["create", "write"]
    run = roots.service_dir("qmail-pop3d") / "run"
    text = run.read_text()
    assert "MEMORY_LIMIT=40000000\n" in text and "MAX_CONNECTIONS=2\n" in text
    run.write_text(
        text.replace("LISTEN_PORT=110\n", f"LISTEN_PORT={port}\n").replace(
            "LISTEN_ADDRESS=0\n", "LISTEN_ADDRESS=127.0.0.1\n"
        )
    )
    pid = daemons.start(roots, "qmail-pop3d")
    try:
        daemons.wait_for(lambda: Path(f"/proc/{pid}/exe").resolve().name == "tcpserver", 10, "tcpserver")
        assert address_space(pid) == 40 * MB

        first, hello = greeting(port)
        second, hello2 = greeting(port)
        assert hello.startswith(b"+OK <") and hello2.startswith(b"+OK <")
        third, refused = greeting(port, timeout=1.5)
        assert refused is None  # connected (kernel backlog), but tcpserver serves no third client

        def in_use() -> dict | None:
            return agent.call(Op.MDA_READ_STATE)["servers"]["qmail-pop3d"]["in_use"]

        daemons.wait_for(lambda: (found := in_use()) and found["connections"] == 2, 15, "the status line 2/2")
        state = agent.call(Op.MDA_READ_STATE)["servers"]["qmail-pop3d"]
        assert state["in_use"]["limit"] == 2 and state["in_use"]["source"] == "tcpserver status line"
        assert (state["connections"], state["memory_limit"]) == (2, 40 * MB)
        assert (
            state["script"]["managed"] is True and state["script"]["hand_edited"] is True
        )  # the port, by hand

        first.close()  # a slot frees: the waiting client is served now
        third.settimeout(5)
        assert third.recv(200).startswith(b"+OK <")
        second.close()
        third.close()
    finally:
        daemons.stop(roots, "qmail-pop3d")


def test_a_memory_limit_too_small_to_log_in_is_refused_with_the_reason(pop3d_programs):
    with pytest.raises(agent.AgentError) as refused:
        mda_write("courier-imapd-ssl", memory_limit=12 * MB)
    assert refused.value.field == "memory_limit"
    assert "every login fails" in refused.value.message and "at least 32 MB" in refused.value.message
    with pytest.raises(agent.AgentError) as refused:
        mda_write("qmail-pop3d", connections=0)
    assert refused.value.field == "connections"


def login(port: int, user: str, password: str, *, tls: bool = False) -> str:
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # Debian's self-signed test certificate
        client = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=context, timeout=10)
    else:
        client = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    try:
        status, _ = client.login(user, password)
        selected, _ = client.select("INBOX")
        return f"{status} {selected}"
    finally:
        client.logout()


def test_courier_imapd_limits_live_in_courier_files_and_take_effect(courier_installed, imap_user):
    roots, etc = courier_installed.roots, courier_installed.etc
    user, password, _ = imap_user
    before_ssl = (etc / "imapd-ssl").read_text()

    answer = mda_write("courier-imapd", connections=2, memory_limit=64 * 1024 * 1024)

    imapd = (etc / "imapd").read_text()
    assert "##NAME: MAXDAEMONS:0\n" in imapd and "\nMAXDAEMONS=2\n" in imapd  # edited in place
    assert "\nIMAP_ULIMITD=65536\n" in imapd
    # Secure IMAP read imapd's 40: it now says so itself, and keeps it.
    assert (etc / "imapd-ssl").read_text().startswith(before_ssl)
    assert "\nMAXDAEMONS=40\n" in (etc / "imapd-ssl").read_text()
    assert any("Secure IMAP keeps its value" in note for note in answer["notes"])
    run = roots.service_dir("courier-imapd") / "run"
    assert run.read_text() == mda_scripts.render_imapd("courier-imapd", roots, str(etc))
    state = answer["state"]["servers"]
    assert (state["courier-imapd"]["connections"], state["courier-imapd"]["memory_limit"]) == (
        2,
        64 * 1024 * 1024,
    )
    assert state["courier-imapd-ssl"]["connections"] == 40

    pid = daemons.start(roots, "courier-imapd")
    try:
        port = courier_installed.port
        daemons.wait_for(lambda: Path(f"/proc/{pid}/exe").resolve().name == "couriertcpd", 10, "couriertcpd")
        assert address_space(pid) == 64 * 1024 * 1024
        daemons.accepting(port)
        assert login(port, user, password) == "OK OK"

        held = [greeting(port)[0] for _ in range(2)]
        waiting, refused = greeting(port, timeout=1.5)
        assert refused is None  # -maxprocs=2: the third client is not served
        in_use = agent.call(Op.MDA_READ_STATE)["servers"]["courier-imapd"]["in_use"]
        assert in_use["connections"] == 2 and in_use["source"] == "couriertcpd's child processes"
        for conn in [*held, waiting]:
            conn.close()
    finally:
        daemons.stop(roots, "courier-imapd")


def test_secure_imap_logs_in_over_tls_at_its_floor_and_not_far_below_it(courier_installed, imap_user):
    roots, etc = courier_installed.roots, courier_installed.etc
    user, password, _ = imap_user
    mda_write("courier-imapd-ssl", memory_limit=32 * MB)
    assert "\nIMAP_ULIMITD=31250\n" in (etc / "imapd-ssl").read_text()
    pid = daemons.start(roots, "courier-imapd-ssl")
    try:
        daemons.wait_for(lambda: Path(f"/proc/{pid}/exe").resolve().name == "couriertcpd", 10, "couriertcpd")
        assert address_space(pid) == 31250 * 1024
        assert login(courier_installed.ssl_port, user, password, tls=True) == "OK OK"

        # What the floor keeps from happening: written by hand, 8 MB starts the server but no TLS login works.
        text = (etc / "imapd-ssl").read_text()
        (etc / "imapd-ssl").write_text(text.replace("\nIMAP_ULIMITD=31250\n", "\nIMAP_ULIMITD=8000\n"))
        pid = restart(roots, "courier-imapd-ssl")
        assert address_space(pid) == 8000 * 1024
        time.sleep(0.5)
        assert services.read_status(roots, "courier-imapd-ssl").pid == pid  # it runs: only logins fail
        with pytest.raises((ssl.SSLError, OSError, imaplib.IMAP4.abort)):
            login(courier_installed.ssl_port, user, password, tls=True)
        (etc / "imapd-ssl").write_text(text)
    finally:
        daemons.stop(roots, "courier-imapd-ssl")


def test_secure_pop3d_speaks_tls_through_couriertls_under_tcpserver(pop3d_programs):
    roots = pop3d_programs
    daemons.link_programs(roots, "couriertls")
    port = free_port()
    try:
        mda_write("qmail-pop3d-ssl", memory_limit=24 * MB, connections=3)
        run = roots.service_dir("qmail-pop3d-ssl") / "run"
        text = run.read_text()
        assert f"TLS_CERTFILE={roots.control_dir}/servercert.pem\n" in text
        # By hand for the test: a free port, and Debian's self-signed certificate of Courier's POP3.
        run.write_text(
            text.replace("LISTEN_PORT=995\n", f"LISTEN_PORT={port}\n")
            .replace("LISTEN_ADDRESS=0\n", "LISTEN_ADDRESS=127.0.0.1\n")
            .replace(
                f"TLS_CERTFILE={roots.control_dir}/servercert.pem\n", "TLS_CERTFILE=/etc/courier/pop3d.pem\n"
            )
        )
        pid = daemons.start(roots, "qmail-pop3d-ssl")
        daemons.wait_for(lambda: Path(f"/proc/{pid}/exe").resolve().name == "tcpserver", 10, "tcpserver")
        assert address_space(pid) == 24 * MB
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            context.wrap_socket(raw) as tls,
        ):
            assert tls.version() is not None
            assert tls.recv(200).startswith(b"+OK <")
    finally:
        daemons.stop(roots, "qmail-pop3d-ssl")
        daemons.unlink_programs(roots, "couriertls")
