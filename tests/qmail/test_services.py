"""Unit tests for mailserver.qmail.services: no svscan, fake supervise directories."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailserver.qmail.errors import InvalidValue, QmailError
from mailserver.qmail.paths import Roots
from mailserver.qmail.services import (
    Action,
    ControlFailed,
    NotSupervised,
    ServiceMissing,
    ServiceStatus,
    ServiceTimeout,
    control,
    decode_status,
    log_status,
    program_installed,
    read_status,
    set_start_at_boot,
    wait_until,
)
from mailserver.qmail.supervise_status import encode_status

# Captured from Debian's daemontools 0.76 (svstat's line alongside each).
# "up (pid 5159) 1 seconds"
REAL_UP = bytes.fromhex("400000006b06eb3412f51894271400000075")
# "down 1 seconds" (a service with a `down` file: supervise wants it down)
REAL_DOWN = bytes.fromhex("400000006b06eb34131bf9b4000000000064")
# "up (pid 5159) 11 seconds, paused"
REAL_PAUSED = bytes.fromhex("400000006b06eb3412f51894271400000175")
# "up (pid 5245) 0 seconds, normally down" (after svc -u)
REAL_UP_NORMALLY_DOWN = bytes.fromhex("400000006b06eb3f23723224" + "7d140000" + "0075")
# "up (pid 6563) 2 seconds" after svc -o: want is 0
REAL_ONCE = bytes.fromhex("400000006b06ec17319e52eca31900000000")
# "up (pid 6562) 2 seconds, want down": svc -d sent, the child ignores TERM
REAL_WANT_DOWN = bytes.fromhex("400000006b06ec1731997ca4a21900000064")
STARTED = 0x6B06EB34 - 10  # TAI64 label minus 2**62 minus the 10 s of 1970


def test_it_decodes_a_real_up_status_with_a_little_endian_pid() -> None:
    raw = decode_status(REAL_UP, now=STARTED + 1.7)
    assert raw.pid == 5159  # bytes 27 14 00 00
    assert raw.seconds == 1
    assert raw.paused is False
    assert raw.want == "up"
    assert raw.since == datetime.fromtimestamp(STARTED + 0x12F51894 / 1e9, tz=UTC)
    assert raw.since.tzinfo is not None


def test_it_decodes_a_real_down_status() -> None:
    raw = decode_status(REAL_DOWN, now=STARTED + 1)
    assert (raw.pid, raw.want, raw.paused) == (None, "down", False)


def test_it_decodes_paused_and_want_nothing() -> None:
    assert decode_status(REAL_PAUSED, now=STARTED + 11).paused is True
    assert decode_status(REAL_UP_NORMALLY_DOWN, now=STARTED + 11).pid == 5245
    once = decode_status(REAL_ONCE, now=STARTED)
    assert (once.pid, once.want) == (6563, None)
    assert decode_status(REAL_WANT_DOWN, now=STARTED).want == "down"


def test_it_reads_every_byte_of_a_large_pid() -> None:
    raw = encode_status(1_700_000_000.25, pid=0x01234567)
    assert raw[12:16] == bytes([0x67, 0x45, 0x23, 0x01])
    assert decode_status(raw, now=1_700_000_100).pid == 0x01234567


def test_it_round_trips_and_counts_whole_seconds_like_svstat() -> None:
    raw = decode_status(encode_status(1_700_000_000.5, pid=42, paused=True, want="down"), now=1_700_000_045.9)
    assert (raw.pid, raw.paused, raw.want, raw.seconds) == (42, True, "down", 45)
    assert raw.since == datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)


def test_it_counts_a_start_in_the_future_as_zero_seconds() -> None:
    assert decode_status(encode_status(1_700_000_100), now=1_700_000_000).seconds == 0


@pytest.mark.parametrize("raw", [b"", REAL_UP[:17], REAL_UP + b"\0", REAL_UP[:17] + b"x"])
def test_it_rejects_a_malformed_status(raw: bytes) -> None:
    with pytest.raises(QmailError):
        decode_status(raw, now=0)


def status(**changes: object) -> ServiceStatus:
    base = ServiceStatus(
        name="qmail-send", exists=True, supervised=True, up=True, pid=123, seconds=45,
        since=datetime.now(UTC), normally_up=True, want="up", paused=False,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


DOWN = {"up": False, "pid": None}


@pytest.mark.parametrize(
    ("changes", "summary", "state"),
    [
        ({}, "up (pid 123) 45 seconds", "up"),
        ({**DOWN, "want": "down", "seconds": 3}, "down 3 seconds, normally up", "down"),
        ({**DOWN, "want": "down", "normally_up": False}, "down 45 seconds", "down"),
        ({"normally_up": False}, "up (pid 123) 45 seconds, normally down", "up"),
        ({"paused": True}, "up (pid 123) 45 seconds, paused", "up"),
        ({"want": "down"}, "up (pid 123) 45 seconds, want down", "stopping"),
        ({**DOWN, "seconds": 3}, "down 3 seconds, normally up, want up", "starting"),
        ({**DOWN, "normally_up": False}, "down 45 seconds, want up", "starting"),
        ({**DOWN, "want": None}, "down 45 seconds, normally up", "down"),
        (
            {"normally_up": False, "paused": True, "want": "down"},
            "up (pid 123) 45 seconds, normally down, paused, want down",
            "stopping",
        ),
        ({**DOWN, "supervised": False}, "supervise not running", "not supervised"),
        ({**DOWN, "supervised": False, "exists": False}, "unable to chdir: file does not exist", "missing"),
    ],
)
def test_it_words_the_summary_like_svstat(changes: dict[str, object], summary: str, state: str) -> None:
    assert status(**changes).summary == summary
    assert status(**changes).state == state


# --- fake supervise directories -------------------------------------------------------


@pytest.fixture
def roots(tmp_path: Path) -> Roots:
    (tmp_path / "service").mkdir()
    (tmp_path / "bin").mkdir()
    return Roots(service=tmp_path / "service", bin=tmp_path / "bin")


class FakeSupervise:
    """A service dir whose ``ok`` fifo has a reader (us), as if supervise ran."""

    def __init__(self, directory: Path) -> None:
        (directory / "supervise").mkdir(parents=True, exist_ok=True)
        self.directory = directory
        os.mkfifo(directory / "supervise" / "ok")
        self.fd: int | None = os.open(directory / "supervise" / "ok", os.O_RDONLY | os.O_NONBLOCK)
        self.write(pid=4321)

    def write(self, pid: int | None, **kwargs: object) -> None:
        (self.directory / "supervise" / "status").write_bytes(encode_status(1_700_000_000, pid, **kwargs))  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


@pytest.fixture
def supervised(roots: Roots) -> Iterator[FakeSupervise]:
    fake = FakeSupervise(roots.service_dir("qmail-send"))
    yield fake
    fake.stop()


@pytest.fixture
def svc_calls(roots: Roots) -> Path:
    calls = roots.bin / "calls"
    svc = roots.bin / "svc"
    svc.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    svc.chmod(0o755)
    return calls


def test_it_reports_a_missing_service(roots: Roots) -> None:
    assert read_status(roots, "qmail-send").state == "missing"


def test_it_reports_a_directory_supervise_never_ran_in(roots: Roots) -> None:
    roots.service_dir("qmail-send").mkdir()
    assert read_status(roots, "qmail-send").summary == "supervise not running"


def test_it_reports_supervise_gone_when_the_ok_fifo_has_no_reader(
    supervised: FakeSupervise, roots: Roots
) -> None:
    supervised.stop()  # the fifo and a stale "up" status remain, as after supervise dies
    result = read_status(roots, "qmail-send")
    assert (result.supervised, result.up, result.pid, result.state) == (False, False, None, "not supervised")


def test_it_reads_the_status_file_and_the_down_file(supervised: FakeSupervise, roots: Roots) -> None:
    (supervised.directory / "down").touch()
    result = read_status(roots, "qmail-send", now=1_700_000_007)
    assert result.summary == "up (pid 4321) 7 seconds, normally down"
    assert result.since == datetime.fromtimestamp(1_700_000_000, tz=UTC)


def test_it_neither_blocks_on_nor_reads_through_a_planted_status_file(
    supervised: FakeSupervise, roots: Roots, tmp_path: Path
) -> None:
    status = supervised.directory / "supervise" / "status"
    elsewhere = tmp_path / "status-elsewhere"
    elsewhere.write_bytes(encode_status(1_700_000_000, 999))
    status.unlink()
    status.symlink_to(elsewhere)
    with pytest.raises(QmailError, match="symbolic link"):
        read_status(roots, "qmail-send")
    status.unlink()
    os.mkfifo(status)  # an open for reading would wait for a writer forever
    with pytest.raises(QmailError, match="not a regular file"):
        read_status(roots, "qmail-send")


def test_it_does_not_open_an_ok_that_is_not_a_fifo(roots: Roots, tmp_path: Path) -> None:
    supervise = roots.service_dir("qmail-send") / "supervise"
    supervise.mkdir(parents=True)
    (supervise / "status").write_bytes(encode_status(1_700_000_000, 4321))
    (tmp_path / "victim").write_bytes(b"")
    (supervise / "ok").symlink_to(tmp_path / "victim")  # O_WRONLY would succeed on a file
    with pytest.raises(QmailError, match="not a fifo"):
        read_status(roots, "qmail-send")


def test_it_reads_the_log_service_separately(supervised: FakeSupervise, roots: Roots) -> None:
    assert log_status(roots, "qmail-send") is None
    log = FakeSupervise(supervised.directory / "log")
    try:
        log.write(pid=99)
        result = log_status(roots, "qmail-send", now=1_700_000_001)
        assert result is not None
        assert (result.name, result.pid, result.summary) == ("qmail-send/log", 99, "up (pid 99) 1 seconds")
    finally:
        log.stop()


def test_it_refuses_names_that_escape_the_roots(roots: Roots) -> None:
    with pytest.raises(QmailError):
        read_status(roots, "../etc")


@pytest.mark.parametrize(
    ("action", "pid", "paused", "args"),
    [
        ("up", None, False, "-u"),
        (Action.DOWN, 4321, False, "-d"),
        ("restart", 4321, False, "-u -t"),
        ("restart", None, False, "-u"),  # svc -t would do nothing to a down service
        ("restart", 4321, True, "-u -t -c"),
        ("hup", 4321, False, "-h"),
        ("alarm", 4321, False, "-a"),
        ("once", None, False, "-o"),
        ("kill", 4321, False, "-k"),
    ],
)
def test_it_runs_svc_with_an_argument_list(
    supervised: FakeSupervise,
    roots: Roots,
    svc_calls: Path,
    action: str,
    pid: int | None,
    paused: bool,
    args: str,
) -> None:
    supervised.write(pid=pid, paused=paused)
    flags = control(roots, "qmail-send", action)
    assert " ".join(flags) == args
    assert svc_calls.read_text() == f"{args} {supervised.directory}\n"


def test_it_controls_the_log_service(supervised: FakeSupervise, roots: Roots, svc_calls: Path) -> None:
    log = FakeSupervise(supervised.directory / "log")
    try:
        control(roots, "qmail-send", "alarm", log=True)
    finally:
        log.stop()
    assert svc_calls.read_text() == f"-a {supervised.directory}/log\n"


@pytest.mark.parametrize("action", ["exit", "-x", "pause", "up; rm -rf /", ""])
def test_it_accepts_only_known_actions(
    supervised: FakeSupervise, roots: Roots, svc_calls: Path, action: str
) -> None:
    with pytest.raises(InvalidValue):
        control(roots, "qmail-send", action)
    assert not svc_calls.exists()


def test_it_refuses_control_without_supervise(
    supervised: FakeSupervise, roots: Roots, svc_calls: Path
) -> None:
    supervised.stop()
    with pytest.raises(NotSupervised, match="supervise is not running for qmail-send"):
        control(roots, "qmail-send", "up")
    with pytest.raises(ServiceMissing):
        control(roots, "qmail-smtpd", "up")
    assert not svc_calls.exists()


def test_it_treats_svc_warnings_as_failure(supervised: FakeSupervise, roots: Roots) -> None:
    # svc 0.76 prints a warning but still exits 0 when it cannot reach supervise.
    svc = roots.bin / "svc"
    svc.write_text("#!/bin/sh\necho 'svc: warning: unable to control x: supervise not running' >&2\n")
    svc.chmod(0o755)
    with pytest.raises(ControlFailed, match="unable to control"):
        control(roots, "qmail-send", "up")


def test_it_times_out_a_hanging_svc(supervised: FakeSupervise, roots: Roots) -> None:
    svc = roots.bin / "svc"
    svc.write_text("#!/bin/sh\nexec sleep 5\n")
    svc.chmod(0o755)
    with pytest.raises(ControlFailed):
        control(roots, "qmail-send", "up", timeout=0.2)


def test_it_needs_svc_installed(supervised: FakeSupervise, roots: Roots) -> None:
    with pytest.raises(ControlFailed, match="svc is not installed"):
        control(roots, "qmail-send", "up")


def test_it_toggles_start_at_boot_with_the_down_file(roots: Roots) -> None:
    directory = roots.service_dir("qmail-send")
    directory.mkdir()
    assert set_start_at_boot(roots, "qmail-send", False) is True
    assert (directory / "down").is_file()
    assert read_status(roots, "qmail-send").normally_up is False
    assert set_start_at_boot(roots, "qmail-send", False) is False
    assert set_start_at_boot(roots, "qmail-send", True) is True
    assert not (directory / "down").exists()
    assert set_start_at_boot(roots, "qmail-send", True) is False
    with pytest.raises(ServiceMissing):
        set_start_at_boot(roots, "qmail-smtpd", True)


def test_it_waits_for_a_state(supervised: FakeSupervise, roots: Roots) -> None:
    assert wait_until(roots, "qmail-send", "up", timeout=0).pid == 4321
    supervised.write(pid=None, want="down")
    assert wait_until(roots, "qmail-send", "down", timeout=0).state == "down"
    assert wait_until(roots, "qmail-send", lambda s: s.want == "down", timeout=0).up is False


def test_it_gives_up_waiting_with_the_last_status(supervised: FakeSupervise, roots: Roots) -> None:
    with pytest.raises(ServiceTimeout, match="did not reach down") as caught:
        wait_until(roots, "qmail-send", "down", timeout=0.1, interval=0.01)
    assert caught.value.status.pid == 4321
    with pytest.raises(InvalidValue):
        wait_until(roots, "qmail-send", "sideways", timeout=0)


def test_it_never_counts_an_unsupervised_service_as_down(supervised: FakeSupervise, roots: Roots) -> None:
    supervised.stop()  # the daemon may still be running, orphaned
    with pytest.raises(ServiceTimeout):
        wait_until(roots, "qmail-send", "down", timeout=0)


def test_it_detects_installed_programs(tmp_path: Path) -> None:
    program = tmp_path / "qmail-smtpd"
    assert program_installed(program) is False
    program.write_text("#!/bin/sh\n")
    assert program_installed(program) is False
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    assert program_installed(program) is True
    assert program_installed(tmp_path) is False
    assert program_installed(Path("/usr/bin/svc")) is True
