"""The console scripts as the guide uses them: real processes joined by pipes, "now" pinned.

NODEWORX_NOW is 2026-11-25 13:42:00 UTC, a minute after the last line of the real logs. Expected
numbers: the awk join of test_logs_counts.py over `tai64nlocal` output, filtered on the time column
(e.g. "the last 5 minutes" = $3 >= "13:37:00"), then sort | uniq -c.
"""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from logs_support import BIN, pipeline, tsv


def test_last_five_minutes_into_show_all(tool_env: dict[str, str]) -> None:
    out, err = pipeline(tool_env, ["qmail-last-x", "5 minutes"], ["show-all", "--tsv"])
    rows = tsv(out)
    assert Counter(row[1] for row in rows) == {"success": 128, "deferral": 34, "failure": 40}
    assert all(row[0] >= "2026-11-25 13:37:00" for row in rows)
    assert err == ""


def test_show_failures_detail_names_the_senders_even_of_older_mail(tool_env: dict[str, str]) -> None:
    out, _ = pipeline(tool_env, ["qmail-last-x", "5 minutes ago"], ["show-failures-detail", "--tsv"])
    assert Counter(row[4] for row in tsv(out)) == {
        "alice@example.test": 12,
        "news@sink.example.net": 9,
        "dave@mail.example.test": 5,
        "bob@example.test": 4,
        "<>": 3,
        "billing@sink.example.net": 2,
        "noreply@reject.example.com": 2,
        "root@example.test": 2,
        "ops@sink.example.net": 1,
    }


def test_start_end_takes_hstamps(tool_env: dict[str, str]) -> None:
    start, _ = pipeline(tool_env, ["hstamp", "7 minutes ago"])
    end, _ = pipeline(tool_env, ["hstamp", "6 minutes ago"])
    assert (start.strip(), end.strip()) == ("1795613700", "1795613760")  # 13:35:00 and 13:36:00
    out, _ = pipeline(tool_env, ["qmail-start-end", start.strip(), end.strip()], ["show-all", "--tsv"])
    assert Counter(row[1] for row in tsv(out)) == {"success": 45, "deferral": 29, "failure": 17}
    out, _ = pipeline(
        tool_env, ["qmail-start-end", "7 minutes ago", "6 minutes ago"], ["show-deferrals", "--tsv"]
    )
    assert len(tsv(out)) == 29


def test_filters_chain_and_keep_the_sender_for_the_operator(tool_env: dict[str, str]) -> None:
    out, err = pipeline(
        tool_env, ["qmail-last-x", "1 hour"], ["xrcpt", "carol@example.test"], ["top-senders", "--tsv"]
    )
    assert "Warning: We only have logs dating back to 2026-11-25 13:33:02." in err
    assert {row[0]: (row[1], row[3], row[4], row[5], row[6]) for row in tsv(out)} == {
        "alice@example.test": ("3", "0", "7", "2", "2"),
        "dave@mail.example.test": ("4", "0", "8", "0", "0"),
        "news@sink.example.net": ("3", "0", "6", "3", "3"),
    }
    out, _ = pipeline(
        tool_env,
        ["qmail-last-x", "5 minutes"],
        ["xsend", "alice@example.test"],
        ["xrcpt", "carol@example.test"],
        ["show-all-detail", "--tsv"],
    )
    assert len(tsv(out)) == 5 and {row[4] for row in tsv(out)} == {"alice@example.test"}


def test_xrcpt_does_not_credit_bounces_caused_by_other_recipients(tool_env: dict[str, str]) -> None:
    # alice@example.test never failed; 4 messages to her bounced for their other recipients
    # (the awk of test_logs_filters.py).
    out, _ = pipeline(
        tool_env, ["qmail-last-x", "1 hour"], ["xrcpt", "alice@example.test"], ["top-senders", "--tsv"]
    )
    rows = tsv(out)
    assert rows and {row[5] for row in rows} == {"0"}
    assert {row[0]: row[6] for row in rows if row[6] != "0"} == {}


def test_xsend_into_show_failures_detail(tool_env: dict[str, str]) -> None:
    out, _ = pipeline(
        tool_env, ["qmail-last-x", "5 minutes"], ["xsend", "alice@example.test"], ["show-all", "--tsv"]
    )
    assert Counter(row[1] for row in tsv(out)) == {"success": 20, "deferral": 8, "failure": 12}


def test_top_reports_sort_by_any_column(tool_env: dict[str, str]) -> None:
    out, _ = pipeline(
        tool_env, ["qmail-last-x", "1 hour"], ["top-senders-remote", "--sort", "failure", "--tsv"]
    )
    assert [(row[0], row[5]) for row in tsv(out)[:2]] == [("alice@example.test", "12"), ("<>", "8")]
    out, _ = pipeline(tool_env, ["qmail-last-x", "1 hour"], ["top-deferrals", "-n", "1"])
    assert out.splitlines()[1].split()[:2] == ["carol@example.test", "21"]


def test_operators_also_read_log_files(tool_env: dict[str, str], send_log: Path) -> None:
    files = [str(p) for p in sorted(send_log.iterdir())]
    out, _ = pipeline(tool_env, ["top-user-stats", *files, "--tsv"])
    assert ["bob@example.test", "29", "118367", "27", "3", "9", "9", "26", "0", "0"] in tsv(out)


def test_the_selection_is_raw_multilog_for_tai64nlocal(tool_env: dict[str, str]) -> None:
    out, _ = pipeline(tool_env, ["qmail-last-x", "2 minutes"])
    assert out and all(line.startswith("@4000") for line in out.splitlines())
    if shutil.which("tai64nlocal", path=tool_env.get("PATH")) is None:
        pytest.skip("tai64nlocal (daemontools) is not installed: cannot check its reading")
    local = subprocess.run(
        ["tai64nlocal"], input=out, capture_output=True, text=True, env=tool_env, check=False
    )
    assert local.returncode == 0, local.stderr
    assert local.stdout.splitlines()[-1].startswith("2026-11-25 13:41:12.")


@pytest.mark.parametrize(
    "argv",
    [
        ["qmail-start-end", "1795611600", "20000000000000000000"],
        ["qmail-start-end", "9" * 400],
        ["qmail-last-x", "9" * 5000 + " hours"],
        ["hstamp", "999999999999 weeks ago"],
    ],
)
def test_times_out_of_range_are_a_one_line_error(tool_env: dict[str, str], argv: list[str]) -> None:
    done = subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True, env=tool_env)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert re.search(r"out of range|more than 12 digits|too long", done.stderr), done.stderr


def test_mixed_fuzzy_dates_are_refused_with_the_sum(tool_env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(BIN / "qmail-last-x"), "3 days 12 hours"], capture_output=True, text=True, env=tool_env
    )
    assert done.returncode == 2
    assert 'Do the math and give one unit, e.g. "84 hours"' in done.stderr


@pytest.mark.parametrize("tool", ["qmail-last-x", "qmail-start-end", "hstamp"])
def test_selectors_run_alone_print_their_help(tool_env: dict[str, str], tool: str) -> None:
    done = subprocess.run(
        [str(BIN / tool)], capture_output=True, text=True, env=tool_env, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0 and done.stdout.startswith(f"usage: {tool}")


@pytest.mark.parametrize("tool", ["show-all", "top-senders-local", "xwebmail", "show-deferrals-detail"])
def test_operators_with_a_terminal_on_stdin_print_their_help(tool_env: dict[str, str], tool: str) -> None:
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([str(BIN / tool)], stdin=follower, capture_output=True, text=True, env=tool_env)
    finally:
        os.close(leader)
        os.close(follower)
    assert done.returncode == 0 and done.stdout.startswith(f"usage: {tool}")


def test_a_reader_that_stops_early_is_not_an_error(tool_env: dict[str, str]) -> None:
    selector = subprocess.Popen(
        [str(BIN / "qmail-last-x"), "1 hour"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tool_env
    )
    shown = subprocess.Popen(
        [str(BIN / "show-all")],
        stdin=selector.stdout,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=tool_env,
    )
    assert selector.stdout is not None and shown.stdout is not None and shown.stderr is not None
    selector.stdout.close()
    shown.stdout.readline()
    shown.stdout.close()  # like `| head -1`
    assert shown.wait(timeout=30) == 0 and b"Traceback" not in shown.stderr.read()
    selector.wait(timeout=30)
    assert selector.stderr is not None and b"Traceback" not in selector.stderr.read()


def test_every_console_script_is_installed(tool_env: dict[str, str]) -> None:
    names = ["qmail-last-x", "qmail-start-end", "hstamp", "xrcpt", "xsend", "xuser", "xwebmail"]
    names += [f"show-{w}{d}" for w in ("all", "success", "failures", "deferrals") for d in ("", "-detail")]
    names += [
        f"top-{w}{f}"
        for w in ("recipients", "senders", "deferrals", "failures", "user-stats", "domain-stats")
        for f in ("", "-local", "-remote")
    ]
    assert len(names) == 33
    assert [n for n in names if not (BIN / n).exists()] == []
