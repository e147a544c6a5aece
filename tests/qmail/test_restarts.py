"""Restart loops told from fresh starts, against a real svscan (and a fake one for the rare cases)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailserver.qmail import restarts
from mailserver.qmail.logtail import last_lines
from mailserver.qmail.paths import Roots
from mailserver.qmail.services import control, read_status, wait_until
from mailserver.qmail.supervise_status import encode_status
from tests.support.svscan import running_svscan

TIMEOUT = 8.0
# What the panel's smtpd run script does on a stock qmail without control/concurrencyincoming.
EXITS_AT_ONCE = (
    '#!/bin/sh\nexec 2>&1\necho QMAILDUID, NOFILESGID, MAXSMTPD, or LOCAL is unset in\necho "$0"\nexit 1\n'
)
STEADY = "#!/bin/sh\nexec sleep 1000\n"
LOG_RUN = "#!/bin/sh\nexec /usr/bin/multilog t ./main\n"


def make_service(service: Path, name: str, run: str, *, logged: bool = False) -> None:
    directory = service / name
    directory.mkdir(parents=True)
    (directory / "run").write_text(run)
    (directory / "run").chmod(0o755)
    if logged:
        (directory / "log").mkdir()
        (directory / "log" / "run").write_text(LOG_RUN)
        (directory / "log" / "run").chmod(0o755)


def under_svscan(test: Callable[..., None]) -> Callable[..., None]:
    skip = pytest.mark.skipif(not Path("/usr/bin/svscan").exists(), reason="daemontools is not installed")
    return pytest.mark.integration(skip(test))


class Sleeps:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, seconds: float) -> None:
        self.calls += 1
        time.sleep(seconds)


@pytest.fixture(scope="module")
def svscan_roots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Roots]:
    service = tmp_path_factory.mktemp("svscan") / "service"
    make_service(service, "looping", EXITS_AT_ONCE, logged=True)
    make_service(service, "steady", STEADY)
    make_service(service, "restarted", STEADY)
    with running_svscan(service):
        yield Roots(service=service, bin=Path("/usr/bin"))


@under_svscan
def test_a_run_script_that_exits_at_once_is_failing_and_its_log_says_why(svscan_roots: Roots) -> None:
    roots = svscan_roots
    wait_until(roots, "looping", lambda s: s.supervised and s.up, TIMEOUT)
    watched = restarts.watch(roots, ["looping"])["looping"]
    assert watched.failing
    assert "supervise" in watched.reason and "restart" in watched.reason
    assert watched.status.want == "up"
    # svstat alone would say "up (pid N) 0 seconds": the very reading the issue complained of.
    log = roots.service_dir("looping") / "log" / "main"
    wait_until(roots, "looping", lambda s: (log / "current").exists(), TIMEOUT)
    lines = last_lines(log)
    assert any(line.text == "QMAILDUID, NOFILESGID, MAXSMTPD, or LOCAL is unset in" for line in lines)
    assert any(line.text == "./run" for line in lines)  # "$0", as supervise runs it
    assert all(line.at is not None and abs(line.at - time.time()) < 60 for line in lines)


@under_svscan
def test_a_settled_service_is_read_once_without_waiting(svscan_roots: Roots) -> None:
    roots = svscan_roots
    wait_until(roots, "steady", lambda s: s.up and s.seconds >= restarts.YOUNG, TIMEOUT)
    sleeps = Sleeps()
    watched = restarts.watch(roots, ["steady"], sleep=sleeps)["steady"]
    assert (watched.failing, watched.reason, watched.restarts) == (False, "", 0)
    assert sleeps.calls == 0


@under_svscan
def test_a_service_that_just_restarted_is_watched_and_found_up(svscan_roots: Roots) -> None:
    roots = svscan_roots
    before = wait_until(roots, "restarted", "up", TIMEOUT)
    control(roots, "restarted", "restart")
    after = wait_until(roots, "restarted", lambda s: s.up and s.pid != before.pid, TIMEOUT)
    sleeps = Sleeps()
    watched = restarts.watch(roots, ["restarted", "steady"], sleep=sleeps)
    assert sleeps.calls > 0  # young: a loop would have shown within the window
    assert watched["restarted"].failing is False
    assert watched["restarted"].status.pid == after.pid
    assert watched["steady"].failing is False


@under_svscan
def test_a_service_stopped_while_looping_is_down_not_failing(svscan_roots: Roots) -> None:
    roots = svscan_roots
    wait_until(roots, "looping", lambda s: s.up, TIMEOUT)
    control(roots, "looping", "down")
    wait_until(roots, "looping", "down", TIMEOUT)
    watched = restarts.watch(roots, ["looping"])["looping"]
    assert (watched.failing, watched.status.state) == (False, "down")
    control(roots, "looping", "up")


class FakeSupervise:
    """A service dir whose ``ok`` fifo has a reader (this test), as if supervise ran."""

    def __init__(self, directory: Path) -> None:
        (directory / "supervise").mkdir(parents=True)
        self.directory = directory
        os.mkfifo(directory / "supervise" / "ok")
        self.fd = os.open(directory / "supervise" / "ok", os.O_RDONLY | os.O_NONBLOCK)

    def write(self, started: float, pid: int | None, want: str = "up") -> None:
        raw = encode_status(started, pid, want=want)  # type: ignore[arg-type]
        (self.directory / "supervise" / "status").write_bytes(raw)


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[tuple[Roots, FakeSupervise]]:
    roots = Roots(service=tmp_path / "service")
    supervise = FakeSupervise(roots.service_dir("clamd"))
    yield roots, supervise
    os.close(supervise.fd)


def proc_with(tmp_path: Path, pid: int, state: str) -> Path:
    proc = tmp_path / "proc"
    (proc / str(pid)).mkdir(parents=True)
    (proc / str(pid) / "stat").write_text(f"{pid} (run (a script)) {state} 1 {pid} {pid} 0 -1\n")
    return proc


def test_a_young_pid_that_is_already_a_zombie_is_failing_at_the_first_read(fake, tmp_path: Path) -> None:
    roots, supervise = fake
    supervise.write(time.time(), pid=4321)
    sleeps = Sleeps()
    watched = restarts.watch(roots, ["clamd"], proc=proc_with(tmp_path, 4321, "Z"), sleep=sleeps)["clamd"]
    assert watched.failing and "exited" in watched.reason
    assert sleeps.calls == 0


def test_a_young_live_pid_is_up_once_the_window_passes(fake, tmp_path: Path) -> None:
    roots, supervise = fake
    supervise.write(time.time(), pid=4321)
    watched = restarts.watch(roots, ["clamd"], window=0.3, proc=proc_with(tmp_path, 4321, "S"))["clamd"]
    assert (watched.failing, watched.status.up) == (False, True)


def test_a_service_down_for_seconds_while_wanted_up_is_failing(fake, tmp_path: Path) -> None:
    roots, supervise = fake
    supervise.write(time.time() - 30, pid=None, want="up")  # supervise could not fork or exec run
    watched = restarts.watch(roots, ["clamd"], proc=tmp_path)["clamd"]
    assert watched.failing and re.search(r"trying to start it for 3[01] seconds", watched.reason)
    assert read_status(roots, "clamd").state == "starting"  # what the status word alone would say


def test_a_service_down_as_asked_is_not_failing(fake, tmp_path: Path) -> None:
    roots, supervise = fake
    supervise.write(time.time() - 30, pid=None, want="down")
    assert restarts.watch(roots, ["clamd"], proc=tmp_path)["clamd"].failing is False
