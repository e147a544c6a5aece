"""The mail log operations through the real broker and signed worker, over the real captured logs.

Expected numbers come from tests/qmail/logs/test_logs_counts.py, where they were derived with awk
over the raw files, not with our code: 426 successes, 86 deferrals, 101 failures in all.
Periods are explicit epoch seconds (the logs run 2026-11-25 13:33:02 - 13:41:12 UTC), so the
tests do not depend on today's date or on the worker's time zone.
"""

from __future__ import annotations

import itertools
import json
import os
import time

import pytest

from mailserver.core import agent

pytestmark = pytest.mark.integration

START, END = 1795611600, 1795615200  # 2026-11-25 13:00 and 14:00 UTC: all of the logs
WHOLE = {"start": str(START), "end": str(END)}
TOTALS = {"success": 426, "deferral": 86, "failure": 101}


def report(name: str, period: dict[str, str] | None = None, **options) -> dict:
    return agent.call("agent.logs.report", {"period": period or WHOLE, "report": name, **options})


def refused(payload: dict, operation: str = "agent.logs.report") -> agent.AgentRefused:
    with pytest.raises(agent.AgentRefused) as caught:
        agent.call(operation, payload)
    assert caught.value.kind == "invalid"
    return caught.value


def test_show_failures_over_the_whole_log_has_every_failure(roots):
    data = report("show-failures", detail=True)
    assert data["columns"] == ["time", "result", "channel", "recipient", "sender", "bytes", "msg", "text"]
    assert data["total_rows"] == len(data["rows"]) == 101
    assert {row[1] for row in data["rows"]} == {"failure"}
    assert data["truncated"] is False
    assert data["totals"] == TOTALS  # the chart counts every result of the selection
    assert data["warnings"] == ["Warning: We only have logs dating back to 2026-11-25 13:33:02."]


def test_the_chart_series_sums_to_the_totals_in_time_order(roots):
    series = report("show-all")["series"]
    assert {result: sum(series[result]) for result in TOTALS} == TOTALS
    times = series["times"]
    assert all(b - a == series["bucket"] for a, b in itertools.pairwise(times))
    # 13:33:02 (the oldest line) to 14:00: buckets of 30 s, starting on a whole half-minute.
    assert series["bucket"] == 30 and times[0] == 1795613580 and len(times) == 54


def test_top_senders_has_each_senders_counts(roots):
    data = report("top-senders", sort="fail")
    assert data["sort"] == "failure"
    rows = {row[0]: row for row in data["rows"]}
    assert data["rows"][0][0] == "alice@example.test"  # most failures: 26
    assert rows["alice@example.test"][1:] == [74, 484759, 68, 20, 26, 23]
    assert rows["news@sink.example.net"][3:] == [63, 18, 17, 16]
    assert rows["<>"][3:7] == [106, 2, 10, 10]
    assert sum(row[3] for row in data["rows"]) == 426


def test_xsend_with_top_senders_remote(roots):
    data = report("top-senders", filters={"sender": ["alice@example.test"]}, channel="remote")
    assert [row[0] for row in data["rows"]] == ["alice@example.test"]
    assert data["rows"][0][3:6] == [18, 13, 12]
    assert data["totals"] == {"success": 18, "deferral": 13, "failure": 12}


def test_xrcpt_keeps_only_the_deliveries_to_that_recipient(roots):
    data = report("show-all", filters={"rcpt": ["carol@example.test"]})
    assert data["total_rows"] == 26
    assert {row[3] for row in data["rows"]} == {"carol@example.test"}
    assert data["totals"] == {"success": 0, "deferral": 21, "failure": 5}


def test_xuser_reads_virtualdomains_and_users_assign(roots):
    (roots.control_dir / "virtualdomains").write_text("sink.example.net:sinkuser\n")
    assign = roots.qmail / "users" / "assign"
    assign.write_text("+sinkuser-:sinkuser:1007:1007:/home/sinkuser:-::\n.\n")
    try:
        data = report("top-senders", filters={"user": ["sinkuser"]})
        nobody = report("show-all", filters={"user": ["nobody-owns-nothing"]})
    finally:
        assign.unlink()
    senders = {row[0]: row[3:7] for row in data["rows"]}
    assert senders["news@sink.example.net"] == [63, 18, 17, 16]  # mail from its domains: all of it
    assert senders["billing@sink.example.net"] == [44, 6, 9, 8]
    assert nobody["total_rows"] == 0
    assert "nobody-owns-nothing owns no domain in control/virtualdomains." in nobody["warnings"]


def test_xwebmail_keeps_the_webmail_uids_messages(roots):
    data = report("top-senders", filters={"webmail": True, "webmail_uids": ["1010"]})
    assert sum(row[1] for row in data["rows"]) == 43  # grep -c 'uid 1010$'


def test_a_row_limit_says_the_table_was_cut(roots):
    data = report("show-all", limit=10)
    assert len(data["rows"]) == 10 and data["total_rows"] == 613 and data["truncated"] is True
    assert "Showing the first 10 of 613 rows" in data["warnings"][-1]


def test_hstamps_and_now_are_read_like_the_guides_tools(roots):
    data = report("show-deferrals", period={"start": "2000 weeks ago", "end": "now"})
    assert data["total_rows"] == 86
    assert data["start"] < START and data["end"] > END


@pytest.mark.parametrize(
    ("payload", "field", "text"),
    [
        ({"period": {"last": "3 days 12 hours"}}, "last", 'Do the math and give one unit, e.g. "84 hours"'),
        ({"period": {"start": "yesterday-ish", "end": "now"}}, "start", "is not a fuzzy date"),
        ({"period": {"start": str(END), "end": str(START)}}, "end", "End must be after Start"),
        ({"report": "cat /etc/shadow"}, "report", "unknown report"),
        ({"report": "top-senders", "sort": "zzz"}, "sort", "no single column matches"),
        ({"filters": {"rcpt": ["not an address"]}}, "rcpt", "is not a valid rcpt"),
        ({"filters": {"user": ["../root"]}}, "user", "is not a valid user"),
        ({"limit": 100000}, "limit", "from 1 to 500"),
        ({"channel": "smtp"}, "channel", "local, remote or both"),
    ],
)
def test_refuses_invalid_payloads_naming_the_field(roots, payload, field, text):
    error = refused({"period": WHOLE, "report": "show-all", **payload})
    assert error.field == field
    assert text in error.message


def test_a_timeline_shows_arrival_every_attempt_with_the_reply_and_the_end(roots):
    data = agent.call("agent.logs.message", {"id": 1466983, "at": 1795613737.5771744})
    assert data["sender"] == "noreply@reject.example.com" and data["size"] == 1431
    kinds = [event["kind"] for event in data["events"]]
    assert kinds == [
        "arrival", "start", "start", "deferral", "success",  # the first attempts, at once
        "start", "deferral",  # a retry
        "start", "failure", "bounce", "end",  # given up: the bounce goes back, the message leaves
    ]  # fmt: skip
    assert data["events"][0]["text"] == "arrived from noreply@reject.example.com, 1431 bytes, uid 1002"
    assert [(a["number"], a["result"]) for a in data["attempts"]] == [
        (277, "success"), (278, "deferral"), (394, "deferral"), (25, "failure")
    ]  # fmt: skip
    assert data["attempts"][3]["reply"].startswith("Sorry, I wasn't able to establish an SMTP connection.")
    assert data["events"][-1]["text"] == "left the queue"


def test_a_reused_message_number_picks_the_message_in_the_queue_at_that_time(roots):
    # Inode 1466718 carries five messages in these logs, three of them within one second.
    def sender_at(at: float) -> str:
        return agent.call("agent.logs.message", {"id": 1466718, "at": at})["sender"]

    assert sender_at(1795613601.62) == "dave@example.test"
    assert sender_at(1795613664.0945415) == "news@sink.example.net"
    assert sender_at(1795613664.4990976) == "bob@example.test"
    assert sender_at(1795613800) == "root@example.test"  # deferred, retried until 13:38:31


def test_a_timeline_of_a_message_not_in_the_log_is_refused(roots):
    assert refused({"id": 1466718, "at": 1795613000}, "agent.logs.message").field == "id"
    assert refused({"id": "1466718; rm -rf /", "at": 1}, "agent.logs.message").field == "id"
    assert refused({"id": 1466718, "at": "soon"}, "agent.logs.message").field == "at"


# --- what the log user (qmaill owns the log directory) can put there ------------------------


@pytest.fixture
def current_aside(roots):
    """The send log's ``current`` moved aside for the test to put something else there; then back."""
    current = roots.log_dir("send") / "current"
    aside = current.with_name(".current-aside")
    current.rename(aside)
    try:
        yield current
    finally:
        if current.is_symlink() or current.exists():
            current.unlink()
        aside.rename(current)


def test_a_fifo_as_current_does_not_hang_a_report(current_aside):
    os.mkfifo(current_aside)
    began = time.monotonic()
    data = report("show-all")
    assert time.monotonic() - began < 5  # it used to wait for the agent's whole timeout
    assert any("current is not a regular file" in w for w in data["warnings"])


def test_a_link_as_current_is_never_read_into_a_report(current_aside, tmp_path):
    secret = tmp_path / "root-only"
    secret.write_bytes(
        b"@400000006b06e5821fb4d04c new msg 999999\n"
        b"@400000006b06e5821fb4d04c info msg 999999: bytes 1 from <secret@root-only.example> qp 1 uid 0\n"
    )
    secret.chmod(0o600)
    current_aside.symlink_to(secret)
    data = report("top-senders")
    assert "root-only.example" not in json.dumps(data["rows"])
    assert any(f"symbolic link to {secret}" in w for w in data["warnings"])
