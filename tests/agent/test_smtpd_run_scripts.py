"""The agent writes the qmail-smtpd / qmail-submission run scripts, and they really run.

The last test starts the primary server under the real supervise and the real
tcpserver; only qmail-smtpd itself is a stand-in (tests only), since qmail is in
no package registry.
"""

from __future__ import annotations

import contextlib
import pwd
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailserver.core import agent
from mailserver.demo.builder import reset_controls
from mailserver.qmail import atomic, services
from mailserver.qmail.paths import Roots
from tests.support.stack import free_port

pytestmark = pytest.mark.integration

SMTPD_SERVICES = ("qmail-smtpd", "qmail-submission")
STAND_IN_SMTPD = "#!/bin/sh\n# test stand-in for qmail-smtpd\nprintf '220 stand-in ESMTP\\r\\n'\n"
TIMEOUT = 8.0  # supervise sleeps 1 s after each start


def primary_params(roots: Roots, **changes: object) -> dict[str, object]:
    """Every setting of the port-25 server, as the panel sends them."""
    return {
        "tcprules_cdb": str(roots.rules("smtp")[1]),
        "port": 25,
        "bind": "0",
        "softlimit": 20_000_000,
        "user": "nobody",
        "rbl_zones": [],
        "auth_mode": "auth_optional/tls_optional",
        "require_auth": False,
        "force_tls": False,
        "checkpassword": "/home/vpopmail/bin/vchkpw",
        **changes,
    }


def submission_params(roots: Roots, **changes: object) -> dict[str, object]:
    """The alternate server's settings: port 587, AUTH and TLS required."""
    submission = {
        "tcprules_cdb": str(roots.rules("submission")[1]),
        "port": 587,
        "require_auth": True,
        "force_tls": True,
    }
    return primary_params(roots, **{**submission, **changes})


def write_smtpd(service: str, params: dict[str, object], **extra: object) -> dict:
    return agent.call("agent.mta.write_smtpd", {"service": service, "params": params, **extra})


def run_script(roots: Roots, service: str) -> Path:
    return roots.service_dir(service) / "run"


def script_state(service: str) -> dict:
    return agent.call("agent.mta.read_state")["scripts"][service]


@pytest.fixture
def scripts(roots: Roots) -> Iterator[Roots]:
    """Puts both SMTP run scripts back as the builder wrote them."""
    saved = {
        name: (run_script(roots, name).read_bytes(), run_script(roots, name).stat().st_mode)
        for name in SMTPD_SERVICES
    }
    try:
        yield roots
    finally:
        for name, (text, mode) in saved.items():
            path = run_script(roots, name)
            path.write_bytes(text)
            path.chmod(stat.S_IMODE(mode))


def test_writes_a_managed_run_script_that_reads_back_as_written(scripts):
    roots = scripts
    params = primary_params(
        roots, softlimit=30_000_000, rbl_zones=["zen.spamhaus.org"], auth_mode="auth_no/tls_optional"
    )
    data = write_smtpd("qmail-smtpd", params)

    [change] = data["changes"]
    assert (change["target"], change["action"]) == ("service qmail-smtpd/run", "write")
    text = run_script(roots, "qmail-smtpd").read_text()
    assert change["after"] == text
    assert text.startswith("#!/bin/sh\n# nodeworx-managed: smtpd.run v")
    assert 'rblsmtpd -r "$RBL_ZONE1"' in text
    assert stat.S_IMODE(run_script(roots, "qmail-smtpd").stat().st_mode) == 0o755

    state = script_state("qmail-smtpd")
    assert (state["managed"], state["hand_edited"], state["outdated"]) == (True, False, False)
    assert state["params"] == params
    assert data["state"]["scripts"]["qmail-smtpd"]["params"] == params


def test_writing_the_same_settings_again_changes_nothing(scripts):
    params = primary_params(scripts)
    write_smtpd("qmail-smtpd", params)
    assert write_smtpd("qmail-smtpd", params)["changes"] == []


def test_a_hand_edit_shows_and_is_only_replaced_when_confirmed(scripts):
    roots = scripts
    path = run_script(roots, "qmail-smtpd")
    edited = path.read_text().replace('-c "$MAXSMTPD"', "-c 100")
    assert edited != path.read_text()
    path.write_text(edited)  # an admin edits the script on the server

    state = script_state("qmail-smtpd")
    assert (state["managed"], state["hand_edited"]) == (True, True)

    params = primary_params(roots, softlimit=40_000_000)
    with pytest.raises(agent.AgentRefused) as refused:
        write_smtpd("qmail-smtpd", params, expect=state["sha256"])
    assert refused.value.kind == "hand_edit"
    assert "edited by hand" in refused.value.message
    assert path.read_text() == edited

    write_smtpd("qmail-smtpd", params, expect=state["sha256"], replace_hand_edit=True)
    state = script_state("qmail-smtpd")
    assert (state["managed"], state["hand_edited"], state["params"]) == (True, False, params)
    assert '-c "$MAXSMTPD"' in path.read_text()


def test_refuses_to_overwrite_a_script_changed_since_it_was_read(scripts):
    roots = scripts
    before = run_script(roots, "qmail-smtpd").read_bytes()
    with pytest.raises(agent.AgentRefused) as refused:
        write_smtpd("qmail-smtpd", primary_params(roots, softlimit=40_000_000), expect="0" * 64)
    assert refused.value.kind == "conflict"
    assert run_script(roots, "qmail-smtpd").read_bytes() == before


@pytest.mark.parametrize("required", ["require_auth", "force_tls"])
def test_refuses_to_require_auth_or_tls_on_port_25_and_writes_nothing(scripts, required):
    roots = scripts
    before = run_script(roots, "qmail-smtpd").read_bytes()
    with pytest.raises(agent.AgentRefused) as refused:
        write_smtpd("qmail-smtpd", primary_params(roots, **{required: True}))
    assert refused.value.kind == "invalid"
    assert refused.value.field in ("port", required)
    assert "must not be required on port 25" in refused.value.message
    assert run_script(roots, "qmail-smtpd").read_bytes() == before


@pytest.mark.parametrize(
    ("service", "params", "holder"),
    [
        ("qmail-submission", submission_params, "qmail-smtpd"),
        ("qmail-smtpd", primary_params, "qmail-submission"),
    ],
)
def test_the_two_servers_cannot_share_a_port(scripts, service, params, holder):
    roots = scripts
    taken = script_state(holder)["params"]["port"]
    before = run_script(roots, service).read_bytes()
    with pytest.raises(agent.AgentRefused) as refused:
        write_smtpd(service, params(roots, port=taken, require_auth=False, force_tls=False))
    assert (refused.value.kind, refused.value.field) == ("invalid", "port")
    assert refused.value.message == f"Port {taken} is already used by {holder}."
    assert run_script(roots, service).read_bytes() == before


def test_refuses_a_service_that_is_not_an_smtp_server(scripts):
    with pytest.raises(agent.AgentRefused) as refused:
        write_smtpd("qmail-send", primary_params(scripts))
    assert (refused.value.kind, refused.value.field) == ("invalid", "service")


# --- end to end: the written script under the real supervise and tcpserver ---------------


@contextlib.contextmanager
def _traversable_for_nobody(paths: list[Path]) -> Iterator[None]:
    """tcpserver drops to the smtpd user before it reads the cdb and execs qmail-smtpd, so
    every directory above them needs search permission for others (mkdtemp makes 0700)."""
    changed: dict[Path, int] = {}
    for path in paths:
        for directory in [path, *path.parents]:
            mode = stat.S_IMODE(directory.stat().st_mode)
            if directory.is_dir() and not mode & stat.S_IXOTH and directory not in changed:
                changed[directory] = mode
                directory.chmod(mode | stat.S_IXGRP | stat.S_IXOTH)
    try:
        yield
    finally:
        for directory, mode in changed.items():
            directory.chmod(mode)


@pytest.fixture
def stand_in_smtpd(scripts: Roots) -> Iterator[Roots]:
    """A stand-in qmail-smtpd and a tree user nobody can reach; everything undone afterwards."""
    roots = scripts
    program = roots.qmail_program("qmail-smtpd")
    program.write_text(STAND_IN_SMTPD)
    program.chmod(0o755)
    try:
        with _traversable_for_nobody([program.parent, roots.tcprules]):
            try:
                yield roots
            finally:
                _stop(roots, "qmail-smtpd")
    finally:
        directory = roots.service_dir("qmail-smtpd")
        for down in (directory / "down", directory / "log" / "down"):
            down.touch()
        program.unlink(missing_ok=True)
        reset_controls(roots)


def _stop(roots: Roots, service: str) -> None:
    """Down through the library: the teardown must not depend on the agent."""
    if services.read_status(roots, service).up:
        services.control(roots, service, "down")
        services.wait_until(roots, service, "down", TIMEOUT)


def _tcpserver_argv(pid: int) -> list[str]:
    """tcpserver's argv once the run script has exec'd softlimit and softlimit tcpserver."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
        if argv and argv[0].endswith(b"/tcpserver"):
            return [a.decode() for a in argv]
        assert time.monotonic() < deadline, f"pid {pid} never became tcpserver: {argv}"
        time.sleep(0.02)


def _greeting(port: int) -> bytes:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                data = b""
                while chunk := conn.recv(512):
                    data += chunk
                return data
        except ConnectionRefusedError:
            assert time.monotonic() < deadline, f"nothing listens on 127.0.0.1:{port}"
            time.sleep(0.02)


def test_the_written_script_serves_smtp_and_a_changed_control_asks_for_a_restart(stand_in_smtpd):
    roots = stand_in_smtpd
    port = free_port()
    write_smtpd("qmail-smtpd", primary_params(roots, port=port, bind="127.0.0.1"))
    agent.call("agent.service.boot", {"service": "qmail-smtpd", "enabled": True})
    assert not (roots.service_dir("qmail-smtpd") / "down").exists()

    started = agent.call("agent.service.control", {"service": "qmail-smtpd", "action": "up"})["status"]
    assert (started["installed"], started["up"], started["state"]) == (True, True, "up")
    argv = _tcpserver_argv(started["pid"])
    assert argv[argv.index("-c") + 1] == "20"
    assert argv[argv.index("-u") + 1] == str(pwd.getpwnam("nobody").pw_uid)
    assert _greeting(port) == b"220 stand-in ESMTP\r\n"
    assert agent.call("agent.mta.read_state")["pending_restarts"] == {}

    seen = atomic.read_state(roots.control("concurrencyincoming")).sha256
    data = agent.call(
        "agent.mta.write_controls", {"files": {"concurrencyincoming": {"value": "7", "expect": seen}}}
    )
    state = data["state"]
    assert state["controls"]["concurrencyincoming"]["mtime"] > state["services"]["qmail-smtpd"]["since"]
    assert state["pending_restarts"] == {"qmail-smtpd": ["concurrencyincoming"]}

    restarted = agent.call("agent.service.control", {"service": "qmail-smtpd", "action": "restart"})["status"]
    assert restarted["up"] is True
    assert restarted["pid"] not in (None, started["pid"])
    assert agent.call("agent.mta.read_state")["pending_restarts"] == {}
    argv = _tcpserver_argv(restarted["pid"])
    assert argv[argv.index("-c") + 1] == "7"  # the run script read the new value at its start
    assert _greeting(port) == b"220 stand-in ESMTP\r\n"
