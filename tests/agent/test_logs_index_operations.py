"""The delivery index through the real agent: the reads worker group keeps it, reports answer from
it exactly as from the log, a report can be followed and cancelled, the retention is a setting.

The reads worker (queue node.test.reads) starts the log follower, which builds the index of the
test server's send log (the captured real logs) as it starts.
"""

from __future__ import annotations

import time

import pytest

from mailserver.core import agent

pytestmark = pytest.mark.integration

WHOLE = {"start": "1795611600", "end": "1795615200"}  # the captured logs' hour
FAILURES_FROM_INDEX = {"period": WHOLE, "report": "show-failures", "source": "index"}


def ready() -> dict:
    deadline = time.monotonic() + 60
    while True:
        status = agent.call("agent.logs.index", {})
        if status["state"] == "ready" or time.monotonic() > deadline:
            return status
        time.sleep(0.5)


def both(**payload) -> tuple[dict, dict]:
    indexed = agent.call("agent.logs.report", {"period": WHOLE, **payload, "source": "index"})
    streamed = agent.call("agent.logs.report", {"period": WHOLE, **payload, "source": "log"})
    assert (indexed.pop("source"), streamed.pop("source")) == ("index", "log")
    return indexed, streamed


def test_the_reads_workers_keep_an_index_of_the_send_log(stack):
    status = ready()
    assert status["state"] == "ready"
    assert status["rows"]["attempts"] == 426 + 86 + 101  # every result of the captured logs
    assert status["newest"] == status["log_newest"] and status["lag"] == 0
    assert 0 < status["bytes"] < status["log_bytes"]


@pytest.mark.parametrize(
    "payload",
    [
        {"report": "show-all", "detail": True},
        {"report": "show-failures", "filters": {"sender": ["<>"]}},
        {"report": "top-senders", "sort": "fail"},
        {"report": "top-recipients", "channel": "remote"},
        {"report": "top-deferrals", "by": "sender"},
        {"report": "top-domain-stats", "filters": {"rcpt": ["alice@example.test"]}},
        {"report": "deferrals-by-cause", "channel": "remote"},
    ],
)
def test_a_report_from_the_index_is_the_report_from_the_log(stack, payload):
    ready()
    indexed, streamed = both(**payload)
    assert indexed == streamed
    assert indexed["total_rows"] > 0


def test_a_report_says_how_far_it_got_and_when_it_finished(stack):
    ready()
    data = agent.call(
        "agent.logs.report", {"period": WHOLE, "report": "top-senders", "report_id": "progress-1"}
    )
    assert data["source"] == "index"
    progress = agent.call("agent.logs.progress", {"report_id": "progress-1"})
    assert progress["finished"] is True and progress["phase"] == "done" and not progress["cancelled"]
    agent.call(
        "agent.logs.report",
        {"period": WHOLE, "report": "top-senders", "report_id": "progress-2", "source": "log"},
    )
    progress = agent.call("agent.logs.progress", {"report_id": "progress-2"})
    assert progress["done"] == progress["total"] > 200_000 and progress["percent"] == 100.0


def test_a_cancelled_report_stops_and_the_next_one_runs(stack):
    ready()
    agent.call("agent.logs.cancel", {"report_id": "cancel-me-1"})
    for source in ("log", "index"):
        began = time.monotonic()
        with pytest.raises(agent.AgentRefused) as refused:
            agent.call(
                "agent.logs.report",
                {"period": WHOLE, "report": "show-all", "report_id": "cancel-me-1", "source": source},
            )
        assert refused.value.kind == "cancelled" and time.monotonic() - began < 5
    assert agent.call("agent.logs.progress", {"report_id": "cancel-me-1"})["phase"] == "cancelled"
    assert agent.call("agent.logs.report", {"period": WHOLE, "report": "show-all"})["total_rows"] == 613


def test_the_retention_is_a_setting_of_the_index(stack):
    ready()
    answer = agent.call("agent.logs.retention", {"days": 30})
    assert answer["retention_days"] == 30
    assert answer["changes"][0]["after"] == "30 days"
    assert agent.call("agent.logs.index", {})["retention_days"] == 30
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.logs.retention", {"days": 0})
    assert refused.value.kind == "invalid" and refused.value.field == "days"
    agent.call("agent.logs.retention", {"days": 90})


@pytest.mark.parametrize(
    "payload",
    [
        {"report": "show-all", "limit": 50},
        {"report": "top-recipients", "limit": 7, "sort": "fail", "reverse": True},
        {"report": "deferrals-by-cause", "limit": 3},
    ],
)
def test_the_next_pages_of_a_report_are_the_same_from_the_index_and_from_the_log(stack, payload):
    ready()
    first, _ = both(**payload)
    assert first["total_rows"] > payload["limit"] and first["truncated"]
    rows = first["rows"]
    offset = payload["limit"]
    while offset < first["total_rows"]:
        indexed, streamed = both(**payload, offset=offset)
        assert indexed == streamed and indexed["offset"] == offset
        rows += indexed["rows"]
        offset += payload["limit"]
    assert len(rows) == first["total_rows"]
    everything, _ = both(**{**payload, "limit": 500})
    assert rows[:500] == everything["rows"]


def one_failed_message(sender: str) -> bytes:
    """A message's lines at 13:41:30, after the last real line and inside WHOLE: one local failure."""
    from mailserver.qmail.logs.tai64n import stamp

    t = 1795614090.0
    lines = [
        f"{stamp(t)} new msg 9999002",
        f"{stamp(t)} info msg 9999002: bytes 99 from <{sender}> qp 4243 uid 1002",
        f"{stamp(t + 0.1)} starting delivery 9002: msg 9999002 to local bob@example.test",
        f"{stamp(t + 0.2)} delivery 9002: failure: changed_by_hand/",
        f"{stamp(t + 0.3)} end msg 9999002",
    ]
    return "".join(f"{line}\n" for line in lines).encode()


def failures_once_rebuilt() -> dict:
    """The index's show-failures once the follower has built it again (refused until then; the
    build itself takes about a second, but a loaded CI machine runs the niced follower last)."""
    deadline = time.monotonic() + 180
    while True:
        try:
            return agent.call("agent.logs.report", FAILURES_FROM_INDEX)
        except agent.AgentRefused as refused:
            assert refused.kind == "invalid" and time.monotonic() < deadline, refused
            time.sleep(0.5)


def test_lines_cut_from_the_log_by_hand_leave_the_index_too(stack, test_server):
    """multilog only appends; when someone cuts `current` back, the follower builds the index again."""
    ready()
    current = test_server.log_dir("send") / "current"
    original = current.read_bytes()
    current.write_bytes(original + one_failed_message("cut@example.test"))
    try:
        assert agent.call("agent.logs.report", FAILURES_FROM_INDEX)["total_rows"] == 102
    finally:
        current.write_bytes(original)
    data = failures_once_rebuilt()
    assert data["total_rows"] == 101
    assert "cut@example.test" not in str(data["rows"])


def test_the_newest_log_file_replaced_by_hand_leaves_the_index_too(stack, test_server):
    """multilog rotates `current` to an @ file; when someone then deletes that file and puts an
    older `current` back, the index holds lines newer than any in the log: a report asks the
    follower to build it again, and until then reads the log."""
    from mailserver.qmail.logs.tai64n import stamp

    ready()
    current = test_server.log_dir("send") / "current"
    original = current.read_bytes()
    current.write_bytes(original + one_failed_message("gone@example.test"))
    assert agent.call("agent.logs.report", FAILURES_FROM_INDEX)["total_rows"] == 102
    rotated = current.with_name(f"{stamp(1795614091.0)}.s")
    current.rename(rotated)  # as multilog rotates it
    current.write_bytes(original)  # an older copy put back in place
    current.chmod(rotated.stat().st_mode)
    rotated.unlink()
    data = failures_once_rebuilt()
    assert data["total_rows"] == 101
    assert "gone@example.test" not in str(data["rows"])
