"""The agent's service operations against the real svscan/supervise over the test server.

qmail's programs are absent from the test server, so its services have a ``down``
file and show as "not installed". Where a test needs a running qmail-send, stand-ins
replace the two qmail programs the chain really execs (tests only): the run script
execs ``<qmail>/rc``, rc execs ``qmail-start``, and qmail-start (like the real one)
execs ``qmail-send``, which here just sleeps.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailserver.core import agent
from mailserver.qmail import services
from mailserver.qmail.paths import Roots
from mailserver.services import registry
from tests.support import stand_ins

pytestmark = pytest.mark.integration

SLEEP = shutil.which("sleep") or "/bin/sleep"
STAND_INS = {
    # The real qmail-start also ends up exec'ing qmail-send (found on rc's PATH).
    "qmail-start": "#!/bin/sh\n# test stand-in for qmail-start\nexec qmail-send\n",
    "qmail-send": f"#!/bin/sh\n# test stand-in for qmail-send\nexec {SLEEP} 1000\n",
}
TIMEOUT = 8.0  # supervise sleeps 1 s after each start


def control(service: str, action: str) -> dict:
    return agent.call("agent.service.control", {"service": service, "action": action})


def status_of(service: str) -> dict:
    return agent.call("agent.service.status")[service]


def cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]


def settled_cmdline(pid: int, program: str) -> list[str]:
    """The argv of ``pid`` once its exec chain (run -> rc -> qmail-start -> ...) reaches ``program``."""
    deadline = time.monotonic() + TIMEOUT
    while (argv := cmdline(pid))[:1] != [program]:
        assert time.monotonic() < deadline, f"pid {pid} never exec'd {program}: {argv}"
        time.sleep(0.02)
    return argv


def put_back_down_files(roots: Roots, service: str) -> None:
    for down in (roots.service_dir(service) / "down", roots.service_dir(service) / "log" / "down"):
        down.touch()


def stop(roots: Roots, service: str) -> None:
    """Bring the service down through the library (teardown must not depend on the agent)."""
    if services.read_status(roots, service).up:
        services.control(roots, service, "down")
        services.wait_until(roots, service, "down", TIMEOUT)


@pytest.fixture
def stand_in_qmail_send(roots: Roots) -> Iterator[Roots]:
    """qmail-start and qmail-send stand-ins, qmail-send's ``down`` file removed; all undone afterwards."""
    bin_dir = roots.qmail / "bin"
    for name, text in STAND_INS.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    (roots.service_dir("qmail-send") / "down").unlink()
    try:
        yield roots
    finally:
        try:
            stop(roots, "qmail-send")
        finally:
            for name in STAND_INS:
                (bin_dir / name).unlink(missing_ok=True)
            put_back_down_files(roots, "qmail-send")


@pytest.fixture
def boot_flags_restored(roots: Roots) -> Iterator[Roots]:
    try:
        yield roots
    finally:
        for service in ("qmail-send", "qmail-smtpd"):
            put_back_down_files(roots, service)


def test_ping_answers_as_root_on_this_node(stack):
    data = agent.call("agent.ping")
    assert (data["node"], data["uid"]) == ("test", 0)
    assert isinstance(data["pid"], int)


def test_reports_every_service_of_the_registry(roots):
    status = agent.call("agent.service.status")
    assert set(status) == set(registry.NAMES)
    # The test server has no directory for the MDA, spam and virus services, nor their programs.
    assert (status["spamd"]["state"], status["spamd"]["installed"]) == ("missing", False)
    assert status["spamd"]["missing"] == [str(roots.system / "usr/sbin/spamd")]
    assert agent.call("agent.service.status", {"services": ["qmail-send"]}).keys() == {"qmail-send"}


@pytest.mark.parametrize("services", ["qmail-send", ["sshd"], [None], [["qmail-send"]]])
def test_status_of_services_it_does_not_manage_is_refused(roots, services):
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.service.status", {"services": services})
    assert (refused.value.kind, refused.value.field) == ("invalid", "services")


def test_reports_a_service_whose_program_is_missing_as_not_installed(roots):
    send = agent.call("agent.service.status")["qmail-send"]
    assert (send["exists"], send["installed"], send["supervised"]) == (True, False, True)
    assert send["missing"] == [
        str(roots.qmail_program("qmail-start")),
        str(roots.qmail_program("qmail-send")),
    ]
    assert (send["up"], send["pid"], send["normally_up"]) == (False, None, False)
    assert send["state"] == "not installed"
    assert send["summary"].startswith("down ")
    assert send["log"]["state"] == "down"


@pytest.mark.parametrize("action", ["up", "restart"])
def test_refuses_to_start_a_service_that_is_not_installed(roots, action):
    with pytest.raises(agent.AgentRefused) as refused:
        control("qmail-send", action)
    assert refused.value.kind == "invalid"
    assert "qmail-send is not installed" in refused.value.message
    assert str(roots.qmail_program("qmail-send")) in refused.value.message
    after = services.read_status(roots, "qmail-send")
    assert (after.up, after.pid, after.want) == (False, None, "down")  # svc was never run


def test_stopping_a_service_that_is_not_installed_is_allowed(roots):
    data = control("qmail-send", "down")
    assert data["status"]["state"] == "not installed"
    assert data["changes"][0]["action"] == "svc -d"


def test_starts_restarts_and_stops_an_installed_service(stand_in_qmail_send):
    roots = stand_in_qmail_send
    assert status_of("qmail-send")["state"] == "down"  # installed now, merely down

    started = control("qmail-send", "up")
    pid = started["status"]["pid"]
    assert started["status"]["up"] is True and started["status"]["state"] == "up"
    assert isinstance(pid, int)
    [change] = started["changes"]
    assert (change["target"], change["action"]) == ("service qmail-send", "svc -u")
    assert change["before"].startswith("down ")
    assert change["after"].startswith(f"up (pid {pid}) ")
    assert settled_cmdline(pid, SLEEP) == [SLEEP, "1000"]  # the stand-in qmail-send, same pid as run
    assert status_of("qmail-send")["pid"] == pid

    restarted = control("qmail-send", "restart")
    assert restarted["changes"][0]["action"] == "svc -u -t"
    assert restarted["status"]["up"] is True
    assert restarted["status"]["pid"] not in (None, pid)
    assert not Path(f"/proc/{pid}").exists() or cmdline(pid) != [SLEEP, "1000"]

    stopped = control("qmail-send", "down")
    assert stopped["changes"][0]["action"] == "svc -d"
    assert (stopped["status"]["up"], stopped["status"]["pid"], stopped["status"]["state"]) == (
        False,
        None,
        "down",
    )
    assert services.read_status(roots, "qmail-send").up is False


def test_up_on_a_running_service_answers_at_once_and_keeps_it(stand_in_qmail_send):
    pid = control("qmail-send", "up")["status"]["pid"]
    began = time.monotonic()
    again = control("qmail-send", "up")
    assert time.monotonic() - began < 1.5  # nothing to wait for: supervise already has it up
    assert (again["status"]["up"], again["status"]["pid"]) == (True, pid)


def test_restart_brings_up_a_service_that_is_down(stand_in_qmail_send):
    data = control("qmail-send", "restart")
    assert data["changes"][0]["action"] == "svc -u"  # svc -t alone would do nothing to a down service
    assert data["status"]["up"] is True


def test_start_at_boot_toggles_the_down_file(stand_in_qmail_send, boot_flags_restored):
    roots = stand_in_qmail_send
    down = roots.service_dir("qmail-send") / "down"
    off = agent.call("agent.service.boot", {"service": "qmail-send", "enabled": False})
    assert down.exists()
    assert off["status"]["normally_up"] is False
    assert off["changes"] == [
        {"target": "service qmail-send", "action": "boot off", "before": "start at boot\n", "after": ""}
    ]
    assert status_of("qmail-send")["up"] is False  # the down file changes nothing now

    on = agent.call("agent.service.boot", {"service": "qmail-send", "enabled": True})
    assert not down.exists()
    assert on["status"]["normally_up"] is True
    assert on["changes"][0]["after"] == "start at boot\n"


def test_a_service_that_is_not_installed_cannot_be_set_to_start_at_boot(boot_flags_restored):
    roots = boot_flags_restored
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.service.boot", {"service": "qmail-send", "enabled": True})
    assert "not installed" in refused.value.message
    assert (roots.service_dir("qmail-send") / "down").exists()


def test_start_at_boot_needs_a_true_or_false(roots):
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.service.boot", {"service": "qmail-send", "enabled": "yes"})
    assert (refused.value.kind, refused.value.field) == ("invalid", "enabled")
    assert (roots.service_dir("qmail-send") / "down").exists()


@pytest.mark.parametrize("operation", ["agent.service.control", "agent.service.boot"])
@pytest.mark.parametrize("service", ["sshd", "qmail-send/log", "../qmail-send", "", None])
def test_refuses_services_the_panel_does_not_manage(roots, operation, service):
    payload = {"service": service, "action": "down", "enabled": False}
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call(operation, payload)
    assert (refused.value.kind, refused.value.field) == ("invalid", "service")
    assert (roots.service_dir("qmail-send") / "down").exists()


@pytest.mark.parametrize("action", ["kill", "hup", "once", "UP", "", None, ["up"]])
def test_refuses_unknown_actions(roots, action):
    with pytest.raises(agent.AgentRefused) as refused:
        control("qmail-smtpd", action)
    assert (refused.value.kind, refused.value.field) == ("invalid", "action")
    assert "use up, down or restart" in refused.value.message
    assert services.read_status(roots, "qmail-smtpd").want == "down"


@pytest.fixture
def smtpd_without_concurrencyincoming(roots: Roots) -> Iterator[Roots]:
    with stand_ins.smtpd_in_a_restart_loop(roots):
        yield roots


def test_a_service_that_keeps_restarting_is_failing_with_the_last_lines_of_its_log(
    smtpd_without_concurrencyincoming,
):
    started = control("qmail-smtpd", "up")
    status = started["status"]
    # supervise reports it "up (pid …) 0 seconds" between restarts; the agent watched it die.
    assert status["state"] == "failing"
    assert "supervise" in status["failing"]
    assert started["changes"][0]["after"].startswith("up (pid ")
    assert "failing: " in started["changes"][0]["after"]
    texts = [line["text"] for line in status["log_tail"]]
    assert "QMAILDUID, NOFILESGID, MAXSMTPD, or LOCAL is unset in" in texts
    assert all(isinstance(line["at"], float) for line in status["log_tail"])

    again = status_of("qmail-smtpd")  # any later read sees the same
    assert again["state"] == "failing" and again["log_tail"]

    stopped = control("qmail-smtpd", "down")  # a failing service can be stopped
    assert (stopped["status"]["state"], stopped["status"]["log_tail"]) == ("down", [])
