"""The agent writes the qmail-smtpd / qmail-submission run scripts, and they really run.

The last test starts the primary server under the real supervise and the real
tcpserver; only qmail-smtpd itself is a stand-in (tests only), since qmail is in
no package registry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pwd
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse

from mailserver.core import agent
from mailserver.demo import builder
from mailserver.demo.builder import reset_controls
from mailserver.qmail import atomic, runscript, services
from mailserver.qmail.paths import Roots
from mailserver.qmail.runparams import SmtpdParams
from mailserver.qmail.supervise_status import supervise_running
from tests.support.stack import free_port

pytestmark = pytest.mark.integration

SMTPD_SERVICES = ("qmail-smtpd", "qmail-submission")
STAND_IN_SMTPD = "#!/bin/sh\n# test stand-in for qmail-smtpd\nprintf '220 stand-in ESMTP\\r\\n'\n"
TIMEOUT = 8.0  # supervise sleeps 1 s after each start


def primary_params(roots: Roots, **changes: object) -> dict[str, object]:
    """Every setting of the port-25 server the panel's forms send (FORM_FIELDS)."""
    return {
        "port": 25,
        "rbl_zones": [],
        "auth_mode": "auth_optional/tls_optional",
        "require_auth": False,
        "force_tls": False,
        **changes,
    }


def submission_params(roots: Roots, **changes: object) -> dict[str, object]:
    """The alternate server's settings: port 587, AUTH and TLS required."""
    submission = {"port": 587, "require_auth": True, "force_tls": True}
    return primary_params(roots, **{**submission, **changes})


def written_params(roots: Roots, service: str, sent: dict[str, object], **kept: object) -> dict[str, object]:
    """The settings a script reads back with: what was sent, the rest from the agent and the template."""
    rules = "smtp" if service == "qmail-smtpd" else "submission"
    return {
        "tcprules_cdb": str(roots.rules(rules)[1]),
        "bind": "0",
        "softlimit": 20_000_000,
        "user": "nobody",  # NODEWORX_SMTPD_USER of the test agent
        "checkpassword": "/home/vpopmail/bin/vchkpw",
        **sent,
        **kept,
    }


def put_script(roots: Roots, service: str, **fields: object) -> None:
    """A managed run script with settings no payload may send (user, bind, ...), written directly."""
    rules = "smtp" if service == "qmail-smtpd" else "submission"
    params = SmtpdParams(**{"tcprules_cdb": str(roots.rules(rules)[1]), "user": "nobody", **fields})
    run_script(roots, service).write_text(runscript.render_smtpd(params, roots))


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
    params = primary_params(roots, rbl_zones=["zen.spamhaus.org"], auth_mode="auth_no/tls_optional")
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
    assert state["params"] == written_params(roots, "qmail-smtpd", params)
    assert data["state"]["scripts"]["qmail-smtpd"]["params"] == state["params"]
    assert data["reset"] == []


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

    params = primary_params(roots, rbl_zones=["zen.spamhaus.org"])
    with pytest.raises(agent.AgentRefused) as refused:
        write_smtpd("qmail-smtpd", params, expect=state["sha256"])
    assert refused.value.kind == "hand_edit"
    assert "edited by hand" in refused.value.message
    assert path.read_text() == edited

    write_smtpd("qmail-smtpd", params, expect=state["sha256"], replace_hand_edit=True)
    state = script_state("qmail-smtpd")
    assert (state["managed"], state["hand_edited"]) == (True, False)
    assert state["params"] == written_params(roots, "qmail-smtpd", params)
    assert '-c "$MAXSMTPD"' in path.read_text()


def test_refuses_to_overwrite_a_script_changed_since_it_was_read(scripts):
    roots = scripts
    before = run_script(roots, "qmail-smtpd").read_bytes()
    with pytest.raises(agent.AgentRefused) as refused:
        write_smtpd("qmail-smtpd", primary_params(roots, rbl_zones=["zen.spamhaus.org"]), expect="0" * 64)
    assert refused.value.kind == "conflict"
    assert run_script(roots, "qmail-smtpd").read_bytes() == before


def test_an_unchanged_script_seen_stale_is_refused_once_in_the_pages_words(scripts):
    # It said "run was changed on the server since you opened this page; reload it." under the
    # page's own "Not saved: … changed on the server" (the same thing twice).
    params = primary_params(scripts)
    write_smtpd("qmail-smtpd", params, expect=script_state("qmail-smtpd")["sha256"], replace_hand_edit=True)
    with pytest.raises(agent.AgentRefused) as refused:
        write_smtpd("qmail-smtpd", params, expect="0" * 64)
    assert refused.value.kind == "conflict"
    assert refused.value.message == (
        "Not saved: service qmail-smtpd/run changed on the server since this page showed it "
        "(it was edited elsewhere, or the page came from the browser's history)."
    )


@pytest.fixture
def linked_run_script(scripts: Roots, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """qmail-smtpd/run replaced by a symbolic link to a script elsewhere; put back afterwards."""
    run = run_script(scripts, "qmail-smtpd")
    original = run.read_bytes()
    target = tmp_path / "smtpd.run"
    target.write_bytes(original.replace(b"#!/bin/sh\n", b"#!/bin/sh\n# kept elsewhere by hand\n"))
    run.unlink()
    run.symlink_to(target)
    try:
        yield run, target
    finally:
        run.unlink()
        run.write_bytes(original)  # before the scripts fixture, which would write through a link


def test_a_symlinked_run_script_is_shown_as_a_link_and_never_written_through(
    scripts, linked_run_script, admin_client
):
    run, target = linked_run_script
    before = target.read_bytes()
    state = script_state("qmail-smtpd")
    assert (state["exists"], state["link"], state["params"], state["text"]) == (True, str(target), None, "")
    assert "symbolic link" in state["problem"]

    page = admin_client.get(reverse("mta:page")).content.decode()
    assert f"symbolic link to {target}" in page

    with pytest.raises(agent.AgentRefused) as refused:
        write_smtpd("qmail-smtpd", primary_params(scripts), replace_hand_edit=True)
    assert refused.value.kind == "invalid"
    assert f"symbolic link to {target}" in refused.value.message
    assert run.is_symlink() and target.read_bytes() == before


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
    put_script(roots, "qmail-smtpd", bind="127.0.0.1")  # no payload sets bind: the script keeps it
    write_smtpd("qmail-smtpd", primary_params(roots, port=port))
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


# --- what a payload may set, and what a replaced script keeps ------------------------------


@pytest.mark.parametrize(
    "sneaked",
    [
        {"user": "root", "checkpassword": "/bin/true"},  # root smtpd accepting every AUTH: open relay
        {"tcprules_cdb": "/etc/tcp.any.cdb"},
        {"bind": "127.0.0.1"},
        {"softlimit": 30_000_000},
    ],
)
def test_refuses_settings_the_forms_do_not_send_and_writes_nothing(scripts, sneaked):
    roots = scripts
    before = run_script(roots, "qmail-smtpd").read_bytes()
    with pytest.raises(agent.AgentRefused) as refused:
        write_smtpd("qmail-smtpd", sneaked)
    assert (refused.value.kind, refused.value.field) == ("invalid", "params")
    assert run_script(roots, "qmail-smtpd").read_bytes() == before


def test_user_checkpassword_and_cdb_always_come_from_the_agent(scripts):
    roots = scripts
    # A managed script that runs qmail-smtpd as root with an always-yes checkpassword.
    put_script(
        roots,
        "qmail-smtpd",
        user="root",
        checkpassword="/bin/true",
        tcprules_cdb=str(roots.tcprules / "tcp.any.cdb"),
        bind="127.0.0.1",
        softlimit=30_000_000,
    )
    data = write_smtpd("qmail-smtpd", {"auth_mode": "auth_withtls/tls_optional"})
    params = data["state"]["scripts"]["qmail-smtpd"]["params"]
    sent = {"auth_mode": "auth_withtls/tls_optional"}
    # bind and softlimit are valid, so they stay; the identities are the agent's own.
    assert params == written_params(
        roots, "qmail-smtpd", primary_params(roots, **sent), bind="127.0.0.1", softlimit=30_000_000
    )
    assert data["reset"] == []


LWQ_SCRIPT = """#!/bin/sh
QMAILDUID=`id -u vpopmail`
NOFILESGID=`id -g vpopmail`
MAXSMTPD=`cat /var/qmail/control/concurrencyincoming`
LOCAL=`head -1 /var/qmail/control/me`
DENY_TLS=1
export DENY_TLS
exec /usr/local/bin/softlimit -m 2000000 \\
    /usr/local/bin/tcpserver -v -R -l "$LOCAL" -x /etc/tcp.smtp.cdb -c "$MAXSMTPD" \\
        -u "$QMAILDUID" -g "$NOFILESGID" 0 smtp \\
        /usr/local/bin/rblsmtpd -r zen.spamhaus.org \\
        /var/qmail/bin/qmail-smtpd mail.example.test /home/vpopmail/bin/vchkpw /bin/true 2>&1
"""


def test_replacing_a_life_with_qmail_script_resets_its_invalid_values(scripts):
    roots = scripts
    path = run_script(roots, "qmail-smtpd")
    path.write_text(LWQ_SCRIPT)  # softlimit -m 2000000: below the 10 MB floor, and no field for it
    state = script_state("qmail-smtpd")
    assert (state["managed"], state["params"]["softlimit"]) == (False, 2_000_000)
    sent = {"auth_mode": "auth_optional/tls_optional"}

    with pytest.raises(agent.AgentRefused) as refused:
        write_smtpd("qmail-smtpd", sent, expect=state["sha256"])
    assert refused.value.kind == "hand_edit"

    data = write_smtpd("qmail-smtpd", sent, expect=state["sha256"], replace_hand_edit=True)
    assert data["reset"] == ["softlimit"]  # the page tells the admin which values went back to defaults
    state = script_state("qmail-smtpd")
    assert (state["managed"], state["hand_edited"]) == (True, False)
    kept = {"rbl_zones": ["zen.spamhaus.org"]}  # valid inherited values stay
    assert state["params"] == written_params(roots, "qmail-smtpd", primary_params(roots, **sent, **kept))


@pytest.mark.parametrize(
    ("sent", "field", "message"),
    [
        ({"rbl_zones": ["zen.spamhaus.org\n"]}, "rbl_zones", "not a DNS name"),
        ({"port": "²"}, "port", "not a number from 1 to 65535"),
        ({"port": "٢٥"}, "port", "not a number from 1 to 65535"),
    ],
)
def test_a_trailing_newline_or_a_non_ascii_digit_is_refused_beside_its_field(scripts, sent, field, message):
    before = run_script(scripts, "qmail-smtpd").read_bytes()
    with pytest.raises(agent.AgentRefused) as refused:
        write_smtpd("qmail-smtpd", primary_params(scripts, **sent))
    assert (refused.value.kind, refused.value.field) == ("invalid", field)
    assert message in refused.value.message
    assert run_script(scripts, "qmail-smtpd").read_bytes() == before


# --- creating the alternate server ---------------------------------------------------------


def _unsupervise(roots: Roots, directory: Path) -> None:
    """Make supervise (and its log's) leave ``directory``: svc -dx, then wait for it to exit."""
    for target in (directory, directory / "log"):
        if supervise_running(target):
            subprocess.run([str(roots.program("svc")), "-dx", str(target)], check=True, timeout=5)
    deadline = time.monotonic() + TIMEOUT
    while supervise_running(directory) or supervise_running(directory / "log"):
        assert time.monotonic() < deadline, f"supervise did not leave {directory}"
        time.sleep(0.05)


@pytest.fixture
def without_submission(scripts: Roots) -> Iterator[Roots]:
    """A host that never had the alternate server: no service, log directory or tcprules files.

    qmail-smtpd is "installed" (a stand-in), so only a ``down`` file keeps a new service stopped.
    Afterwards the service is put back as the demo builder makes it.
    """
    roots = scripts
    name = "qmail-submission"
    link, directory = roots.service_dir(name), roots.qmail / "supervise" / name
    run_text = run_script(roots, name).read_text()
    program = roots.qmail_program("qmail-smtpd")
    program.write_text(STAND_IN_SMTPD)
    program.chmod(0o755)
    link.unlink()  # first, so svscan does not restart the supervise that -x stops
    try:
        _unsupervise(roots, directory)
        shutil.rmtree(directory)
        shutil.rmtree(roots.log_dir("submission"))
        for path in roots.rules("submission"):
            path.unlink()
        yield roots
    finally:
        program.unlink(missing_ok=True)
        if not link.exists():
            link.unlink(missing_ok=True)
            shutil.rmtree(directory, ignore_errors=True)
            builder._service(roots, name, run_text, "submission", "nobody")
        log_dir = roots.log_dir("submission")
        if not log_dir.is_dir():
            log_dir.unlink(missing_ok=True)
            log_dir.mkdir()
            nobody = pwd.getpwnam("nobody")
            os.chown(log_dir, nobody.pw_uid, nobody.pw_gid)
        if not roots.rules("submission")[1].exists():
            builder._rules(roots, "submission", builder.DEFAULT_RULES["submission"])


def test_saving_the_alternate_server_creates_a_complete_stopped_service(without_submission):
    roots = without_submission
    name = "qmail-submission"
    assert script_state(name)["exists"] is False
    data = write_smtpd(name, submission_params(roots), expect=None)

    link, directory = roots.service_dir(name), roots.qmail / "supervise" / name
    assert link.is_symlink() and link.resolve() == directory.resolve()
    assert [c["target"] for c in data["changes"]] == [f"service {name}", f"service {name}/run"]
    assert (directory / "run").read_text() == data["changes"][-1]["after"]
    assert stat.S_IMODE((directory / "run").stat().st_mode) == 0o755
    assert (directory / "log" / "run").read_text().startswith("#!/bin/sh\n# nodeworx-managed: log.run")
    # "Saving creates the service (stopped)", even though qmail-smtpd is installed here.
    assert (directory / "down").is_file() and (directory / "log" / "down").is_file()
    # multilog runs as the log user and must be able to write its directory.
    log_dir, nobody = roots.log_dir("submission"), pwd.getpwnam("nobody")
    assert (log_dir.stat().st_uid, log_dir.stat().st_gid) == (nobody.pw_uid, nobody.pw_gid)
    # tcpserver -x drops every connection without the cdb: it exists and allows.
    source, cdb = roots.rules("submission")
    assert source.read_text() == ":allow\n"
    check = subprocess.run(
        [str(roots.program("tcprulescheck")), str(cdb)],
        env={"TCPREMOTEIP": "192.0.2.1"},
        capture_output=True,
        text=True,
        check=True,
        timeout=5,
    )
    assert "allow connection" in check.stdout
    assert not [p for p in roots.tcprules.iterdir() if ".tmp" in p.name]

    state = script_state(name)
    assert (state["exists"], state["managed"], state["hand_edited"]) == (True, True, False)
    # svscan picks the new directory up (it rescans every 5 s) and supervise leaves it down.
    status = services.wait_until(roots, name, lambda s: s.supervised, timeout=8)
    assert (status.up, status.normally_up) == (False, False)


def test_a_failed_creation_leaves_nothing_behind(without_submission):
    roots = without_submission
    name = "qmail-submission"
    roots.log_dir("submission").write_text("in the way\n")  # the log directory cannot be made
    with pytest.raises(agent.AgentRefused) as refused:
        write_smtpd(name, submission_params(roots), expect=None)
    assert refused.value.kind == "failed"
    assert not roots.service_dir(name).is_symlink()
    assert not (roots.qmail / "supervise" / name).exists()
    assert not any(path.exists() for path in roots.rules("submission"))


def test_a_link_planted_as_the_log_directory_is_not_handed_to_the_log_user(without_submission, tmp_path):
    roots = without_submission
    name = "qmail-submission"
    victim = tmp_path / "root-only"
    victim.mkdir(mode=0o700)
    log_dir = roots.log_dir("submission")
    log_dir.symlink_to(victim)  # the log user may own the log root, so it can plant this
    try:
        with pytest.raises(agent.AgentRefused) as refused:
            write_smtpd(name, submission_params(roots), expect=None)
        assert f"{log_dir} is a symbolic link" in refused.value.message
        assert (victim.stat().st_uid, victim.stat().st_gid) == (0, 0)
        assert victim.is_dir() and log_dir.is_symlink()
        assert not roots.service_dir(name).is_symlink()
        assert not (roots.qmail / "supervise" / name).exists()
    finally:
        log_dir.unlink()


# --- replacing a hand-written script on a stock qmail (no control/concurrencyincoming) -------


def _hand_written(roots: Roots, port: int) -> str:
    """A stock notqmail-style run script: the connection limit written into the script itself."""
    return (
        "#!/bin/sh\n"
        "QMAILDUID=`id -u nobody`\n"
        "NOFILESGID=`id -g nobody`\n"
        "exec /usr/bin/softlimit -m 20000000 /usr/bin/tcpserver -v -R -l 0 "
        f"-x {roots.rules('smtp')[1]} -c 20 "
        f'-u "$QMAILDUID" -g "$NOFILESGID" 127.0.0.1 {port} {roots.qmail_program("qmail-smtpd")} 2>&1\n'
    )


def test_replacing_a_stock_script_carries_its_connection_limit_and_the_service_stays_up(stand_in_smtpd):
    roots = stand_in_smtpd
    port = free_port()
    run_script(roots, "qmail-smtpd").write_text(_hand_written(roots, port))
    roots.control("concurrencyincoming").unlink()  # as on a stock qmail: the script had -c 20 itself

    data = write_smtpd(
        "qmail-smtpd",
        {"auth_mode": "auth_optional/tls_optional"},
        expect=atomic.read_state(run_script(roots, "qmail-smtpd")).sha256,
        replace_hand_edit=True,
    )
    assert roots.control("concurrencyincoming").read_text() == "20\n"
    assert [c["target"] for c in data["changes"]] == [
        "control/concurrencyincoming",
        "service qmail-smtpd/run",
    ]
    assert data["notes"] == ["control/concurrencyincoming = 20, the old script's tcpserver -c 20"]

    started = agent.call("agent.service.control", {"service": "qmail-smtpd", "action": "up"})["status"]
    argv = _tcpserver_argv(started["pid"])
    assert argv[argv.index("-c") + 1] == "20"
    assert _greeting(port) == b"220 stand-in ESMTP\r\n"
    time.sleep(2.5)  # supervise would have restarted a script that exits at once by now
    again = agent.call("agent.mta.read_state")["services"]["qmail-smtpd"]
    assert (again["up"], again["pid"]) == (True, started["pid"])


def test_a_run_script_that_could_not_start_here_is_not_written(scripts):
    roots = scripts
    before = run_script(roots, "qmail-smtpd").read_bytes()
    roots.control("me").unlink()
    try:
        with pytest.raises(agent.AgentRefused) as refused:
            write_smtpd("qmail-smtpd", primary_params(roots, rbl_zones=["zen.spamhaus.org"]))
        assert "could not start on this server" in refused.value.message
        assert "control/me is missing" in refused.value.message
        assert run_script(roots, "qmail-smtpd").read_bytes() == before
    finally:
        reset_controls(roots)


def test_a_run_script_whose_rules_cdb_is_missing_is_not_written(scripts):
    # tcpserver -x drops every connection without its cdb: a save after NODEWORX_TCPRULES_DIR moved,
    # before the rules were copied, would have taken SMTP down at the next restart.
    roots = scripts
    before = run_script(roots, "qmail-smtpd").read_bytes()
    _, cdb = roots.rules("smtp")
    kept = cdb.read_bytes()
    cdb.unlink()
    try:
        with pytest.raises(agent.AgentRefused) as refused:
            write_smtpd("qmail-smtpd", primary_params(roots, rbl_zones=["zen.spamhaus.org"]))
        assert "could not start on this server" in refused.value.message
        assert f"{cdb} is missing: tcpserver would refuse every connection" in refused.value.message
        assert run_script(roots, "qmail-smtpd").read_bytes() == before
    finally:
        cdb.write_bytes(kept)


def test_a_panel_script_written_before_the_rules_moved_is_brought_up_to_date_by_a_plain_save(scripts):
    # After NODEWORX_TCPRULES_DIR moved, the panel's own scripts differ only in the agent's own
    # field, the cdb: they were shown as edited by hand and a save asked to confirm replacing them.
    roots = scripts
    path = run_script(roots, "qmail-smtpd")
    now = runscript.parse_smtpd(path.read_text(), roots)
    assert now.params is not None and now.managed and not now.hand_edited
    before_dir = roots.system / "etc-before-the-move"
    then = dataclasses.replace(now.params, tcprules_cdb=str(before_dir / "tcp.smtp.cdb"))
    written_then = runscript.render_smtpd(then, dataclasses.replace(roots, tcprules=before_dir))
    path.write_text(written_then)
    state = script_state("qmail-smtpd")
    assert (state["managed"], state["hand_edited"], state["outdated"]) == (True, False, True)
    assert state["rules_moved_from"] == str(before_dir / "tcp.smtp.cdb")

    path.write_text(written_then + "# an admin's line\n")  # anything else is still the admin's edit
    assert (script_state("qmail-smtpd")["hand_edited"], script_state("qmail-smtpd")["rules_moved_from"]) == (
        True,
        None,
    )
    path.write_text(written_then)
    write_smtpd("qmail-smtpd", {})  # no replace_hand_edit: nothing of the admin's to confirm
    assert path.read_text() == runscript.render_smtpd(now.params, roots)
    assert script_state("qmail-smtpd")["rules_moved_from"] is None
