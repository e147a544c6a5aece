"""The last lines of a service's log: which directory its log/run names, and the end of ``current``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailserver.qmail import runscript
from mailserver.qmail.logs import tai64n
from mailserver.qmail.logtail import LINES, TAIL_BYTES, last_lines, log_directory
from mailserver.qmail.paths import Roots

T0 = 1_700_000_000.25


@pytest.fixture
def roots(tmp_path: Path) -> Roots:
    roots = Roots(qmail=tmp_path / "qmail", service=tmp_path / "service", log=tmp_path / "log")
    (roots.service_dir("qmail-smtpd") / "log").mkdir(parents=True)
    roots.log.mkdir()
    return roots


def log_run(roots: Roots, text: str) -> None:
    (roots.service_dir("qmail-smtpd") / "log" / "run").write_text(text)


def test_it_takes_the_directory_from_the_panels_own_log_script(roots: Roots) -> None:
    log_run(roots, runscript.render_log(roots, "smtpd", "qmaill"))
    assert log_directory(roots, "qmail-smtpd") == roots.log_dir("smtpd")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("exec setuidgid qmaill multilog t {log}/smtpd", "{log}/smtpd"),  # Life with qmail
        ("exec /usr/bin/setuidgid qmaill /usr/bin/multilog t s1000000 '-*x' {log}/smtpd 2>&1", "{log}/smtpd"),
        ("exec multilog t ./main", "{service}/log/main"),  # relative to NAME/log
    ],
)
def test_it_finds_multilogs_directory_in_a_hand_written_script(
    roots: Roots, line: str, expected: str
) -> None:
    places = {"log": roots.log, "service": roots.service_dir("qmail-smtpd")}
    log_run(roots, "#!/bin/sh\n# multilog t /nowhere (a comment)\n" + line.format(**places) + "\n")
    assert log_directory(roots, "qmail-smtpd") == Path(expected.format(**places))


@pytest.mark.parametrize(
    "line",
    [
        "exec multilog t /etc",  # outside the log root and the service's log/
        "exec multilog t {log}/../../etc",
        'exec multilog t "$LOGDIR"',
        "exec cat > captured",
        "exec multilog t 'unbalanced",
    ],
)
def test_it_names_no_directory_it_may_not_read(roots: Roots, line: str) -> None:
    log_run(roots, line.format(log=roots.log) + "\n")
    assert log_directory(roots, "qmail-smtpd") is None


def test_it_reads_no_log_script_through_a_link(roots: Roots, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text(f"exec multilog t {roots.log}/smtpd\n")
    (roots.service_dir("qmail-smtpd") / "log" / "run").symlink_to(elsewhere)
    assert log_directory(roots, "qmail-smtpd") is None
    assert log_directory(roots, "qmail-send") is None  # no service at all


def write_log(directory: Path, lines: list[str], tail: str = "") -> None:
    directory.mkdir(exist_ok=True)
    text = "".join(f"{tai64n.stamp(T0 + i)} {line}\n" for i, line in enumerate(lines))
    (directory / "current").write_text(text + tail)


def test_it_returns_the_last_lines_with_multilogs_times(tmp_path: Path) -> None:
    lines = [f"MAXSMTPD is empty, try {i}" for i in range(30)]
    write_log(tmp_path / "smtpd", lines, tail="@4000000065 half a line multilog is still wri")
    got = last_lines(tmp_path / "smtpd")
    assert [line.text for line in got] == lines[-LINES:]
    assert got[-1].at == pytest.approx(T0 + 29)


def test_it_reads_only_the_end_of_a_large_log(tmp_path: Path) -> None:
    lines = [f"line {i} " + "x" * 100 for i in range(5000)]  # far more than TAIL_BYTES
    write_log(tmp_path / "smtpd", lines)
    got = last_lines(tmp_path / "smtpd", count=1000)
    assert 0 < len(got) < TAIL_BYTES / 100
    assert [line.text for line in got] == lines[-len(got) :]  # the line cut in two is left out


def test_a_line_without_a_stamp_keeps_its_text(tmp_path: Path) -> None:
    (tmp_path / "main").mkdir()
    (tmp_path / "main" / "current").write_text("tcpserver: fatal: unable to bind: address already used\n")
    [line] = last_lines(tmp_path / "main")
    assert (line.at, line.text) == (None, "tcpserver: fatal: unable to bind: address already used")


def test_it_reads_nothing_through_links_or_from_a_fifo(tmp_path: Path) -> None:
    write_log(tmp_path / "real", ["secret"])
    (tmp_path / "linked-dir").symlink_to(tmp_path / "real")
    assert last_lines(tmp_path / "linked-dir") == []
    (tmp_path / "linked-file").mkdir()
    (tmp_path / "linked-file" / "current").symlink_to(tmp_path / "real" / "current")
    assert last_lines(tmp_path / "linked-file") == []
    (tmp_path / "fifo").mkdir()
    os.mkfifo(tmp_path / "fifo" / "current")
    assert last_lines(tmp_path / "fifo") == []  # returns at once instead of waiting for a writer
    assert last_lines(tmp_path / "absent") == []
