"""``mailqueue``, run as the console script it is, on a copy of the real queue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.queues import QSTAT, SNAPSHOT_NOW, tree

MAILQUEUE = Path(sys.executable).parent / "mailqueue"


@pytest.fixture
def run(snapshot, tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "NODEWORX_SERVER_ROOT": str(tmp_path),  # no /service there: qmail-send is not supervised
        "NODEWORX_QMAIL_ROOT": str(snapshot.root.parent),
        "NODEWORX_NOW": str(SNAPSHOT_NOW),
        "TZ": "UTC",
    }

    def mailqueue(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(MAILQUEUE), *args], env=env, capture_output=True, text=True, timeout=60)

    return mailqueue


def test_stats_prints_qmail_qstat_first(run):
    done = run("stats")
    assert done.returncode == 0
    assert done.stdout == QSTAT + "local: 5  remote: 20  todo: 2  bouncing: 4\n"


def test_stats_json_has_the_fixed_keys(run):
    assert json.loads(run("stats", "--json").stdout) == {
        "messages": 27, "unprocessed": 2, "local": 5, "remote": 20, "todo": 2, "bouncing": 4,
    }  # fmt: skip


def test_list_json_is_one_object_per_message(run):
    messages = json.loads(run("list", "--json").stdout)
    assert len(messages) == 27
    required = {"id", "arrived", "size", "sender", "bouncing", "preprocessed", "recipients"}
    assert all(required <= set(m) for m in messages)
    assert all(set(r) == {"address", "channel", "done"} for m in messages for r in m["recipients"])
    assert all("next_retry" in m and "expires" in m for m in messages if m["preprocessed"])
    arrivals = [m["arrived"] for m in messages]
    assert arrivals == sorted(arrivals, reverse=True)


def test_list_with_filters_in_words(run):
    done = run("list", "--sender", "@reject.example.com", "--older-than", "3 minutes", "--sort", "size")
    assert done.returncode == 0
    assert done.stdout.splitlines()[0].startswith(
        "#1466983  2026-11-25 13:34:56  1431 bytes  <noreply@reject.example.com>"
    )
    assert done.stdout.endswith("2 messages\n")
    assert "pending  remote  client1@deferred.example.org  next try 2026-11-25 13:46:12" in done.stdout


def test_view_shows_the_envelope_headers_and_body(run):
    done = run("view", "1466748", "--body", "200")
    assert done.returncode == 0
    assert done.stdout.startswith(
        "#1466748  2026-11-25 13:34:26  4362 bytes  <alice@example.test>  [bouncing]"
    )
    assert "    done     remote  gone8@reject.example.com" in done.stdout
    assert "\nReceived: " in done.stdout and "bytes in all; use --body to see more]" in done.stdout


def test_delete_dry_run_then_for_real(run, snapshot):
    before = tree(snapshot.root)
    dry = run("delete", "--sender", "<>", "--dry-run")
    assert dry.stdout == "1 messages would be deleted (sender <>): 1466721\n"
    assert tree(snapshot.root) == before
    done = run("delete", "1466721", "1466718")
    assert done.returncode == 0 and done.stdout.endswith("2 messages deleted (2 messages by number)\n")
    assert json.loads(run("stats", "--json").stdout)["messages"] == 25


def test_expire(run, snapshot):
    done = run("expire", "1466856", "1466766")
    assert done.stdout.splitlines() == [
        "1 messages expired (2 messages by number)",
        "1 left alone: not yet preprocessed (no birth yet)",
    ]
    assert os.lstat(snapshot.path("info", 1466856)).st_mtime < SNAPSHOT_NOW - 604800


def test_check_exit_status(run, snapshot):
    clean = run("check")
    assert clean.returncode == 0  # notices only: the restored inode numbers
    assert clean.stdout.endswith("27 messages, 85 files: 27 problems\n")
    os.unlink(snapshot.path("info", 1466719))
    broken = run("check", "--json")
    assert broken.returncode == 1
    assert {"warning", "notice"} == set(json.loads(broken.stdout)["counts"])


def test_mistakes_are_said_plainly(run):
    assert run("view", "42").stderr == "mailqueue: message 42 is not in the queue\n"
    bad = run("delete", "--sender", "a b")
    assert (bad.returncode, bad.stderr.split(":")[1].strip()) == (2, "sender")
    assert run("delete").returncode == 2  # neither numbers nor filters
    assert "there is no queue" in run("--queue", "/nonexistent", "stats").stderr
