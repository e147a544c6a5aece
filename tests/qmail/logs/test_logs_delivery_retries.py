"""Messages per recipient counted from each attempt's previous one (prev_started, prev_finished).

A top-recipients page counts a (recipient, message) once however often it was retried. On an
index with prev_* it counts the attempts whose previous attempt is not in the period's selection
(query.Period.first_of_pair) instead of grouping by both. Held here to the streaming tables where
that previous attempt began before the period and ended in it, ended before it, was logged with
the recipient in other letter cases, and lies across a parallel build's seam (the earlier share
saw it; a later share's rows and an attempt still under way there are given it while loading).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from index_support import Both, build
from test_logs_delivery_index import rows

from mailserver.qmail.logs.deliveries import build as build_module
from mailserver.qmail.logs.deliveries.follow import Follower
from mailserver.qmail.logs.deliveries.query import label_ns
from mailserver.qmail.logs.deliveries.ranked import ranked
from mailserver.qmail.logs.domains import Domains
from mailserver.qmail.logs.messages import messages
from mailserver.qmail.logs.reports import Stats, sides_for, table
from mailserver.qmail.logs.tai64n import stamp

T = 1795600000.0
real_stitch = build_module.stitch
RETRIED = [  # msg 100's attempts in the first file: (seconds after T, line)
    (0, "new msg 100"),
    (0, "info msg 100: bytes 2048 from <sender@a.example> qp 9100 uid 0"),
    (10, "starting delivery 1: msg 100 to remote bob@b.example"),
    (20, "starting delivery 2: msg 100 to remote Carol@b.example"),
    (25, "delivery 2: deferral: 451_greylisted/"),
    (30, "starting delivery 3: msg 100 to remote erin@b.example"),
    (31, "delivery 3: deferral: 451_greylisted/"),
    (400, "delivery 1: deferral: Connected_to_192.0.2.7_but_connection_died./"),  # 390 s long
]
RETRIES = [  # ... and in `current`, the later share of a two-process build
    (1500, "starting delivery 1001: msg 100 to remote bob@b.example"),
    (1501, "delivery 1001: deferral: 451_greylisted/"),
    (1600, "starting delivery 1002: msg 100 to remote carol@b.example"),
    (1601, "delivery 1002: success: 250_ok/"),
    (2500, "starting delivery 1060: msg 100 to remote bob@b.example"),
    (2501, "delivery 1060: success: 250_ok/"),
    (2600, "starting delivery 1061: msg 100 to remote erin@b.example"),  # still under way at the end
]


def _filler(first_id: int, first_number: int, at: float, count: int) -> list[tuple[float, str]]:
    """Messages delivered at once (so that the two files weigh about the same); delivery numbers
    go on rising across the files, as one qmail-send run numbers them."""
    out = []
    for i in range(count):
        msg, number = first_id + i, first_number + i
        out += [
            (at + i, f"new msg {msg}"),
            (at + i, f"info msg {msg}: bytes 300 from <filler@a.example> qp {msg} uid 0"),
            (at + i, f"starting delivery {number}: msg {msg} to local user{i % 7}@a.example"),
            (at + i, f"delivery {number}: success: did_1+0+0/"),
            (at + i, f"end msg {msg}"),
        ]
    return out


def _write(path: Path, lines: list[tuple[float, str]]) -> None:
    ordered = sorted(lines, key=lambda pair: pair[0])
    path.write_text("".join(f"{stamp(T + at)} {line}\n" for at, line in ordered))


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    send = tmp_path_factory.mktemp("retries") / "send"
    send.mkdir()
    _write(send / f"{stamp(T + 1000)}.s", RETRIED + _filler(200, 700, 500, 42))
    _write(send / "current", RETRIES + _filler(400, 1010, 1700, 40))
    return send


def _pages(both: Both, *, check_firsts: bool = True) -> None:
    for name in ("top-recipients", "top-deferrals"):
        stats = Stats(None, both.domains, sides_for(name)).add_all(messages(both.chunks()))
        streamed = table(name, stats).sort("messages", reverse=True)
        report = both.report(None)
        assert report.firsts or not check_firsts
        got, total = ranked(report, name, "recipient", "messages", True, 10_000)
        assert (got.rows, total) == (streamed.rows, len(streamed.rows)), (name, both.start, both.end)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_retried_recipient_counts_one_message_in_every_period(log_dir, tmp_path, workers):
    store = build(log_dir, tmp_path / "ix", workers=workers)
    for start in (-5, 5, 15, 26, 200, 399, 401, 1000, 1550, 1650, 2550):
        for length in (300.0, 2000.0, 4000.0):
            both = Both(log_dir, store, tmp_path / "cache", T + start, T + start + length)
            _pages(both)
            both.close()


def test_a_retry_whose_previous_attempt_began_before_the_period_and_ended_in_it_is_no_new_message(
    log_dir, tmp_path
):
    """Delivery 1 began 190 s before the period and ended in it: the streaming selection holds
    it, so bob's retry in the period is the same message, not a second one."""
    store = build(log_dir, tmp_path / "ix")
    both = Both(log_dir, store, tmp_path / "cache", T + 200, T + 2000)
    got, _ = ranked(both.report(None), "top-recipients", "recipient", "messages", True, 10_000)
    both.close()
    assert ["bob@b.example", 1, 0, 2, 0, 0] in got.rows


def test_a_parallel_build_gives_the_later_share_s_first_attempts_the_earlier_share_s_previous_ones(
    log_dir, tmp_path, monkeypatch
):
    stitched = []
    monkeypatch.setattr(build_module, "stitch", lambda *a: stitched.append(1) or real_stitch(*a))  # type: ignore[func-returns-value]
    one = rows(build(log_dir, tmp_path / "one", workers=1))
    two = rows(build(log_dir, tmp_path / "two", workers=2))
    assert stitched == [1]  # joined in two shares, not again in one after a SeamError
    assert two == one
    prev = {(row[1], row[3]): (row[5], row[6]) for row in two["attempts"] if row[0] == 100}
    at = lambda seconds: label_ns(stamp(T + seconds)[1:])  # noqa: E731
    assert prev[(1001, "bob@b.example")] == (at(10), at(400))  # its previous one is in the first file
    assert prev[(1002, "carol@b.example")] == (at(20), at(25))  # the same recipient, in other letters
    assert prev[(1061, "erin@b.example")] == (at(30), at(31))  # under way at the end of the log
    assert prev[(1, "bob@b.example")] == (None, None)


def test_following_after_a_parallel_build_goes_on_from_the_later_share_s_attempts(log_dir, tmp_path):
    live = tmp_path / "send"
    shutil.copytree(log_dir, live)
    store = build(live, tmp_path / "ix", workers=2)
    with open(live / "current", "a") as current:
        for at, line in [
            (2700, "delivery 1061: deferral: 451_greylisted/"),
            (2800, "starting delivery 1062: msg 100 to remote bob@b.example"),
            (2801, "delivery 1062: success: 250_ok/"),
        ]:
            current.write(f"{stamp(T + at)} {line}\n")
    follower = Follower(live, store, workers=2)
    follower.start()
    assert follower.tick()
    follower.close()
    prev = {(row[1], row[3]): (row[5], row[6]) for row in rows(store)["attempts"] if row[0] == 100}
    at = lambda seconds: label_ns(stamp(T + seconds)[1:])  # noqa: E731
    assert prev[(1062, "bob@b.example")] == (at(2500), at(2501))  # the later share's, not the first file's
    assert prev[(1061, "erin@b.example")] == (at(30), at(31))


@pytest.mark.parametrize("merging", [False, True], ids=["rewritten apart", "two become one"])
def test_virtual_domain_recipients_count_once_per_message_even_when_two_become_one(tmp_path, merging):
    """v.example maps to the prefix p: p-info@v.example was sent to info@v.example. A message
    logged to both (the domain was local for a while) is one message to info@v.example."""
    send = tmp_path / "send"
    send.mkdir()
    second = "info@v.example" if merging else "other@v.example"
    _write(
        send / "current",
        [
            (0, "new msg 300"),
            (0, "info msg 300: bytes 900 from <sender@a.example> qp 9300 uid 0"),
            (1, "starting delivery 1: msg 300 to local p-info@v.example"),
            (2, "delivery 1: deferral: Sorry,_no_mailbox/"),
            (3, "starting delivery 2: msg 300 to local " + second),
            (4, "delivery 2: success: did_1+0+0/"),
            (400, "starting delivery 3: msg 300 to local p-info@v.example"),
            (401, "delivery 3: success: did_1+0+0/"),
            (402, "end msg 300"),
        ],
    )
    store = build(send, tmp_path / "ix")
    both = Both(send, store, tmp_path / "cache", T - 10, T + 500, domains=Domains({"v.example": "p"}))
    assert both.report(None).firsts is not merging  # the grouping by (recipient, message) then
    _pages(both, check_firsts=False)
    got, _ = ranked(both.report(None), "top-recipients", "recipient", "messages", True, 10)
    both.close()
    assert ["info@v.example", 1] in [row[:2] for row in got.rows]
