"""mailserver.qmail.services against a real daemontools svscan over a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailserver.qmail.paths import Roots
from mailserver.qmail.services import (
    NotSupervised,
    ServiceStatus,
    control,
    log_status,
    read_status,
    set_start_at_boot,
    wait_until,
)
from tests.support.svscan import running_svscan

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path("/usr/bin/svscan").exists(), reason="daemontools is not installed"),
]

SLEEPER = "#!/bin/sh\nexec sleep 1000\n"
TIMEOUT = 8.0  # a start costs supervise 1 s; a new scan at most 5 s


def make_service(service: Path, name: str, run: str = SLEEPER, *, down: bool = False) -> Path:
    directory = service / name
    directory.mkdir(parents=True)
    (directory / "run").write_text(run)
    (directory / "run").chmod(0o755)
    if down:
        (directory / "down").touch()
    return directory


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Roots]:
    """One svscan for the module; each test owns its service(s), all created before svscan starts."""
    service = tmp_path_factory.mktemp("svscan") / "service"
    make_service(service, "restarter")
    make_service(service, "updown")
    make_service(service, "boot-off", down=True)
    make_service(service, "stubborn", "#!/bin/sh\ntrap '' TERM\nexec sleep 1000\n")
    logged = make_service(service, "logged", "#!/bin/sh\necho hello from logged\nexec sleep 1000\n")
    make_service(logged, "log", "#!/bin/sh\nexec cat > captured\n")
    with running_svscan(service):
        yield Roots(service=service, bin=Path("/usr/bin"))


def up(roots: Roots, name: str, **kwargs: bool) -> ServiceStatus:
    return wait_until(roots, name, "up", TIMEOUT, **kwargs)


def test_it_sees_a_supervised_service_up(roots: Roots) -> None:
    status = up(roots, "updown")
    assert status.pid is not None
    assert status.summary.startswith(f"up (pid {status.pid}) ")
    assert (status.state, status.normally_up, status.want) == ("up", True, "up")
    assert Path(f"/proc/{status.pid}/cmdline").read_bytes().startswith(b"sleep\0")


def test_it_brings_a_service_down_and_up_with_a_new_pid(roots: Roots) -> None:
    before = up(roots, "updown")
    assert control(roots, "updown", "down") == ("-d",)
    down = wait_until(roots, "updown", "down", TIMEOUT)
    assert (down.pid, down.want, down.state) == (None, "down", "down")
    assert down.summary.endswith(" seconds, normally up")
    control(roots, "updown", "up")
    after = up(roots, "updown")
    assert after.pid != before.pid


def test_it_restarts_a_running_service(roots: Roots) -> None:
    before = up(roots, "restarter")
    control(roots, "restarter", "restart")
    after = wait_until(roots, "restarter", lambda s: s.up and s.pid != before.pid, TIMEOUT)
    assert after.want == "up"


def test_it_leaves_a_service_with_a_down_file_down_until_asked(roots: Roots) -> None:
    status = wait_until(roots, "boot-off", lambda s: s.supervised, TIMEOUT)
    assert (status.up, status.normally_up, status.want) == (False, False, "down")
    assert status.summary.startswith("down ") and status.summary.endswith(" seconds")
    # "restart" of a down service brings it up (svc -t alone would do nothing)...
    assert control(roots, "boot-off", "restart") == ("-u",)
    started = up(roots, "boot-off")
    assert started.summary.endswith("seconds, normally down")
    # ...and removing the down file changes "normally", not the running service.
    assert set_start_at_boot(roots, "boot-off", True)
    now = read_status(roots, "boot-off")
    assert (now.pid, now.normally_up) == (started.pid, True)
    assert now.summary == f"up (pid {started.pid}) {now.seconds} seconds"
    control(roots, "boot-off", "down")
    assert wait_until(roots, "boot-off", "down", TIMEOUT).summary.endswith(", normally up")


def test_it_shows_stopping_while_a_service_ignores_term(roots: Roots) -> None:
    before = up(roots, "stubborn")
    control(roots, "stubborn", "down")
    stopping = wait_until(roots, "stubborn", lambda s: s.want == "down", TIMEOUT)
    assert (stopping.state, stopping.pid) == ("stopping", before.pid)
    assert stopping.summary.endswith(", want down")
    control(roots, "stubborn", "kill")
    assert wait_until(roots, "stubborn", "down", TIMEOUT).state == "down"


def test_it_supervises_the_log_service_too(roots: Roots) -> None:
    main = up(roots, "logged")
    log = wait_until(roots, "logged", "up", TIMEOUT, log=True)
    assert log.name == "logged/log" and log.pid not in (None, main.pid)
    again = log_status(roots, "logged")
    assert again is not None and again.pid == log.pid
    captured = roots.service_dir("logged") / "log" / "captured"
    wait_until(roots, "logged", lambda s: captured.exists() and b"hello" in captured.read_bytes(), TIMEOUT)
    assert log_status(roots, "restarter") is None


def test_it_detects_supervise_not_running(tmp_path: Path) -> None:
    service = tmp_path / "service"
    make_service(service, "orphaned")
    roots = Roots(service=service, bin=Path("/usr/bin"))
    with running_svscan(service) as scan:
        pid = up(roots, "orphaned").pid
        assert pid in scan.alive()
        # The fixture's contract: everything svscan started dies with it.
    # supervise is gone but left its fifos and an "up" status file behind.
    assert (service / "orphaned" / "supervise" / "ok").exists()
    status = read_status(roots, "orphaned")
    assert (status.state, status.summary, status.pid) == ("not supervised", "supervise not running", None)
    with pytest.raises(NotSupervised):
        control(roots, "orphaned", "up")
    assert scan.alive() == []
