"""The delivery index answers every report exactly as the streaming tools do.

The streaming tools are the reference (their counts match the awk-derived truth in
test_logs_counts.py); the index is held to them report by report, row by row, over the real
fixture logs (two rotations, five qmail-send restarts) and over generated logs with many
rotations and restarts, for windows that start and end anywhere, with and without x-filters.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from index_support import TOPS, Both, build

from mailserver.qmail.logs.causes import classify
from mailserver.qmail.logs.deliveries.follow import Follower, Rewritten
from mailserver.qmail.logs.deliveries.query import Period, ns_unix
from mailserver.qmail.logs.deliveries.reports import Report
from mailserver.qmail.logs.deliveries.store import Store
from mailserver.qmail.logs.files import LogDir
from mailserver.qmail.logs.tai64n import stamp, to_unix

REPO = Path(__file__).resolve().parents[3]


def rows(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the index without its message keys (which depend on how it was built)."""
    manifest = store.manifest()
    assert manifest is not None
    period = Period(store.root, manifest, 0, 2**39, 0)
    out = {}
    m = "SELECT mkey, arrived, qp FROM messages"
    for table, columns in {
        "attempts": "a.msg, number, channel, rcpt, started, prev_started, prev_finished, result, text, "
        "finished, seq, a.sender, a.size, a.uid, a.info, a.info_file, m.arrived, m.qp",
        "messages": "msg, arrived, qp, sender, size, uid, info, info_file, 0, 0",
        "bounces": "b.msg, label, b.qp, m.arrived, 0",
        "ends": "e.msg, label, kind, m.arrived",
    }.items():
        alias = table[0]
        join = f" LEFT JOIN ({m}) m USING (mkey)" if table != "messages" else ""
        query = f"SELECT {columns} FROM {table} {alias}{join}"  # noqa: S608 (our own names)
        out[table] = sorted(period.con.execute(query).fetchall(), key=repr)
    period.close()
    return out


def generate(where: Path, size: str, rotate: str, restarts: str, seed: int = 3) -> Path:
    subprocess.run(
        [sys.executable, str(REPO / "bench/logs_generate.py"), str(where), "--size", size, "--rotate", rotate,
         "--restart-hours", restarts, "--seed", str(seed)],
        check=True, capture_output=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    return where


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 MB of generated log: 14 files, a qmail-send restart every 1-3 minutes."""
    return generate(tmp_path_factory.mktemp("gen") / "send", "2M", "150k", "0.02,0.05")


def test_a_parallel_build_stitches_its_seams_into_the_rows_of_a_sequential_one(send_log, generated, tmp_path):
    for log_dir in (send_log, generated):
        one = rows(build(log_dir, tmp_path / "one", workers=1))
        for workers in (2, 3, 5):
            assert rows(build(log_dir, tmp_path / f"w{workers}", workers=workers)) == one, (log_dir, workers)


def test_every_result_of_the_log_is_one_attempt_row(send_log, tmp_path):
    attempts = rows(build(send_log, tmp_path / "ix"))["attempts"]
    results = [a[7] for a in attempts]
    # grep -c ': success:' / ': deferral:' / ': failure:' over the fixture logs (test_logs_counts.py)
    assert (results.count("s"), results.count("d"), results.count("f")) == (426, 86, 101)


def _multilog(lines: list[bytes], directory: Path, rotate: int) -> None:
    """Append ``lines`` to directory/current, rotating it to @<stamp>.s past ``rotate`` bytes."""
    current = directory / "current"
    with open(current, "ab") as handle:
        for line in lines:
            handle.write(line)
            if handle.tell() > rotate:
                handle.close()
                os.rename(current, directory / f"{stamp(to_unix(line[1:25]))}.s")
                handle = open(current, "ab")  # noqa: SIM115 (reopened in the loop)
        handle.close()


def test_following_the_log_as_multilog_writes_it_gives_the_rows_of_a_build(generated, tmp_path):
    """current grows (lines cut mid-way too), rotates between reads, twice between two reads;
    the follower stops and starts again from its saved state: the rows are those of one build."""
    data = b"".join(p.read_bytes() for p in [*sorted(generated.glob("@*.s")), generated / "current"])
    lines = data.splitlines(keepends=True)
    live = tmp_path / "send"
    live.mkdir()
    _multilog(lines[:3000], live, 120_000)
    store_dir = tmp_path / "ix"
    store_dir.mkdir(mode=0o700)
    follower = Follower(live, Store(store_dir), workers=2)
    follower.start()
    position, step = 3000, 1
    while position < len(lines):
        chunk = lines[position : position + step]
        position += len(chunk)
        if step % 5 == 0 and chunk:  # half a line now, the rest at the next read
            _multilog(chunk[:-1], live, 120_000)
            with open(live / "current", "ab") as handle:
                handle.write(chunk[-1][:10])
            follower.tick()
            with open(live / "current", "ab") as handle:
                handle.write(chunk[-1][10:])
        else:
            _multilog(chunk, live, 120_000 if step % 7 else 20_000)  # sometimes several rotations
        follower.tick()
        if step == 11:  # the agent restarts: the next follower goes on from the saved state
            follower._save_state()
            follower.close()
            follower = Follower(live, Store(store_dir), workers=2)
            follower.start()
        step = step * 3 + 1 if step < 2000 else 1
    follower.close()
    assert rows(Store(store_dir)) == rows(build(live, tmp_path / "built", workers=1))


@pytest.mark.parametrize("cut", ["shorter", "rewritten"])
def test_a_current_cut_or_rewritten_by_hand_is_indexed_again_from_the_log(send_log, tmp_path, cut):
    """multilog only appends; a log someone cut back must not leave rows the log no longer has."""
    live = tmp_path / "send"
    shutil.copytree(send_log, live)
    original = (live / "current").read_bytes()
    extra = f"{stamp(1795614090.0)} delivery 9001: failure: cut_from_the_log_later/\n".encode()
    (live / "current").write_bytes(original + extra * 3)
    store_dir = tmp_path / "ix"
    store_dir.mkdir(mode=0o700)
    follower = Follower(live, Store(store_dir), workers=1)
    follower.start()
    with open(live / "current", "r+b") as handle:  # the same file, as `> current` or an editor leaves it
        kept = original if cut == "shorter" else original + b"x" * (len(extra) * 3 - 1) + b"\n"
        handle.write(kept)
        handle.truncate(len(kept))
    with pytest.raises(Rewritten):
        follower.tick()
    follower.close()
    # As the agent's follower does it: a fresh process (log_follower._build_anew) builds anew.
    again = Follower(live, Store(store_dir), workers=1)
    again.build(replacing=Store(store_dir).manifest())
    again.close()
    assert rows(Store(store_dir)) == rows(build(live, tmp_path / "built", workers=1))
    manifest = Store(store_dir).manifest()
    assert manifest is not None and manifest.newest < stamp(1795614090.0)[1:]


def _windows(log_dir: Path, step: float, lengths: tuple[float, ...]) -> list[tuple[float, float]]:
    log = LogDir(log_dir)
    first, last = to_unix(log.first_label() or b""), to_unix(log.last_label() or b"")
    log.close()
    out, start = [], first - 7
    while start < last:
        out += [(start, start + length) for length in lengths]
        start += step
    return out


def _same_reports(both: Both, filtered: bool = False) -> None:
    assert both.show()[0] == both.show()[1]
    assert both.series()[0] == both.series()[1]
    for channel in (None, "local", "remote"):
        streamed, indexed = both.causes(channel)
        assert streamed == indexed, ("causes", channel)
        for name in TOPS if not filtered or channel is None else ("top-senders", "top-recipients"):
            streamed, indexed = both.top(name, channel)
            assert streamed == indexed, (name, channel)
        streamed, indexed = both.top("top-deferrals", channel, "sender")
        assert streamed == indexed
        streamed, indexed = both.series("top", channel)
        assert streamed == indexed


def test_reports_from_the_index_equal_the_streaming_tools_on_the_real_logs(send_log, tmp_path):
    store = build(send_log, tmp_path / "ix", workers=2)
    for start, end in _windows(send_log, 71.3, (20.0, 150.0, 600.0)):
        both = Both(send_log, store, tmp_path / "cache", start, end)
        _same_reports(both)
        both.close()


@pytest.mark.parametrize(
    "filters",
    [
        {"rcpt": ("alice@example.test",)},
        {"sender": ("<>",)},
        {"owned": {"example.test", ".example.test"}},
        {"uids": {1010, 1002}},
        {"rcpt": ("carol@example.test", "bob@example.test"), "sender": ("alice@example.test",)},
    ],
)
def test_x_filters_from_the_index_equal_the_streaming_filters(send_log, tmp_path, filters):
    store = build(send_log, tmp_path / "ix")
    for start, end in _windows(send_log, 131.0, (90.0, 600.0)):
        both = Both(send_log, store, tmp_path / "cache", start, end, **filters)
        _same_reports(both, filtered=True)
        both.close()


def test_reports_equal_across_generated_restarts_and_rotations(generated, tmp_path):
    store = build(generated, tmp_path / "ix", workers=3)
    for start, end in _windows(generated, 97.0, (45.0, 400.0)):
        both = Both(generated, store, tmp_path / "cache", start, end)
        _same_reports(both)
        both.close()


# A restart between the start and the result of another delivery with the same number, and a
# rotation between a start and its result: pairing by delivery number alone, or losing the open
# delivery at the file boundary (or at a parallel build's seam there), gives a different table.
REFUSED = "Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/"
ACCEPTED = "192.0.2.1_accepted_message./Remote_host_said:_250_ok/"
REJECTED = "192.0.2.2_does_not_like_recipient./Remote_host_said:_550_5.1.1_no/"
RESTART_AND_ROTATION = [
    [
        "@400000006b06e40001000000 new msg 100",
        "@400000006b06e40001000001 info msg 100: bytes 300 from <alice@example.test> qp 1 uid 1010",
        "@400000006b06e40001000002 starting delivery 1: msg 100 to remote a@first.example",
        f"@400000006b06e40002000000 delivery 1: deferral: {REFUSED}",
        "@400000006b06e40003000000 status: exiting",
        "@400000006b06e40004000000 status: local 0/10 remote 0/20",
        "@400000006b06e40005000000 new msg 200",
        "@400000006b06e40005000001 info msg 200: bytes 500 from <bob@example.test> qp 2 uid 1010",
        "@400000006b06e40005000002 starting delivery 1: msg 200 to remote b@second.example",
    ],
    [
        "@400000006b06e40006000000 starting delivery 2: msg 100 to remote a@first.example",
        f"@400000006b06e40007000000 delivery 1: success: {ACCEPTED}",
        "@400000006b06e40008000000 end msg 200",
        f"@400000006b06e40009000000 delivery 2: failure: {REJECTED}",
        "@400000006b06e4000a000000 bounce msg 100 qp 3",
        "@400000006b06e4000b000000 end msg 100",
    ],
]  # fmt: skip


@pytest.mark.parametrize("workers", [1, 2])
def test_a_join_across_a_restart_and_a_rotation_pairs_each_result_with_its_own_start(tmp_path, workers):
    log_dir = tmp_path / "send"
    log_dir.mkdir()
    first, second = ("\n".join(lines) + "\n" for lines in RESTART_AND_ROTATION)
    (log_dir / "@400000006b06e40005800000.s").write_text(first)
    (log_dir / "current").write_text(second)
    store = build(log_dir, tmp_path / "ix", workers=workers)
    manifest = store.manifest()
    assert manifest is not None
    period = Period(store.root, manifest, 0, 2**39, 0)
    shown, _ = Report(period, [], None, None).show(("success", "deferral", "failure"), None)
    got = [(res, rcpt, sender, msg) for _, res, _, rcpt, sender, _, msg, _, _ in shown]
    assert got == [
        ("d", "a@first.example", "alice@example.test", 100),
        ("s", "b@second.example", "bob@example.test", 200),
        ("f", "a@first.example", "alice@example.test", 100),
    ]
    senders = Report(period, [], None, None).table("top-senders").sort("sender")
    assert senders.rows == [
        ["alice@example.test", 1, 300, 0, 1, 1, 1],
        ["bob@example.test", 1, 500, 1, 0, 0, 0],
    ]
    period.close()
    both = Both(log_dir, store, tmp_path / "cache", 0, 2**39)
    _same_reports(both)
    both.close()
    assert ns_unix(shown[0][0]) == to_unix("400000006b06e40002000000")


def test_replies_are_grouped_by_cause():
    assert classify("Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/") == "connection failed"
    greylisted = (
        "127.0.0.1_does_not_like_recipient./Remote_host_said:_451_4.7.1_<sales@greylist.example.org>:"
        "_Recipient_address_rejected:_Greylisted,_please_try_again_later/Giving_up_on_127.0.0.1./"
    )
    assert classify(greylisted) == "greylisting"
    expired = "I'm_not_going_to_try_again;_this_message_has_been_in_the_queue_too_long./"
    assert classify(greylisted + expired) == "greylisting"
    volume = "Remote_host_said:_421_4.7.0_[TSS04]_Messages_temporarily_deferred_due_to_unexpected_volume/"
    assert classify("Connected_to_192.0.2.1_but_greeting_failed./" + volume) == "rate limit"
    full = "Remote_host_said:_452_4.2.2_The_email_account_that_you_tried_to_reach_is_over_quota/"
    assert classify(full) == "mailbox full"
    assert classify("Sorry,_I_couldn't_find_any_host_named_nowhere.example._(#5.1.2)/") == "DNS"
    assert classify("CNAME_lookup_failed_temporarily._(#4.4.3)/") == "DNS"
    assert classify("Connected_to_192.0.2.1_but_connection_died._(#4.4.2)/") == "timeout or connection lost"
    assert classify("Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/") == "unknown recipient"
    assert classify("Unable_to_chdir_to_maildir._(#4.2.1)/") == "local delivery"
    assert classify("Remote_host_said:_554_5.7.1_Service_unavailable;_client_host_blocked_using_zen/") == (
        "policy or spam"
    )
    assert classify("Remote_host_said:_450_mailbox_busy/") == "other temporary (4xx)"
    assert classify("did_1+0+0/") == "other"


def test_a_store_in_a_directory_others_may_write_is_refused(tmp_path):
    open_dir = tmp_path / "world-writable"
    open_dir.mkdir(mode=0o777)
    open_dir.chmod(0o777)
    assert not Store(open_dir / "deliveries").ready()
    shutil.rmtree(open_dir)


def test_deferrals_by_cause_on_the_command_line_is_the_index_s_table(tool_env, send_log, tmp_path):
    from logs_support import pipeline, tsv

    out, errors = pipeline(tool_env, ["qmail-last-x", "2 hours"], ["deferrals-by-cause", "--tsv"])
    assert "We only have logs dating back to" in errors
    store = build(send_log, tmp_path / "ix")
    manifest = store.manifest()
    assert manifest is not None
    period = Period(store.root, manifest, 1795614120 - 7200, 1795614120, 8 * 86400)
    table = Report(period, [], None, None).causes().table().sort()
    period.close()
    from mailserver.qmail.logs.tai64n import format_local

    expected = [
        [str(v) if i not in (4, 5) else format_local(int(v)) for i, v in enumerate(r)] for r in table.rows
    ]
    assert tsv(out) == expected
    assert tsv(out)[2][:4] == ["greylist.example.org", "greylisting", "18", "8"]


def test_rows_past_the_retention_leave_even_when_their_log_file_is_gone(generated, tmp_path):
    """multilog deleted the oldest files: their rows stay; the retention then drops old rows."""
    live = tmp_path / "send"
    shutil.copytree(generated, live)
    store = Store(tmp_path / "ix")
    store.root.mkdir(mode=0o700)
    follower = Follower(live, store, workers=2)
    follower.start()
    before = rows(store)
    for old in sorted(live.glob("@*.s"))[:5]:
        old.unlink()
    follower.tick()
    assert rows(store) == before  # gone from the disk, still in the index
    log = LogDir(generated)
    first, last = to_unix(log.first_label() or b""), to_unix(log.last_label() or b"")
    log.close()
    middle = (first + last) / 2
    store.save_settings({"retention_days": 1})
    follower.apply_retention(now=middle + 86400)
    follower._save_state()
    follower.close()
    after = rows(store)
    cut = int(middle * 1e9)
    # (an attempt keeps its message's sender; the message's own row may be older and gone)
    kept = sorted((a[:16] for a in before["attempts"] if (a[9] or a[4]) >= cut), key=repr)
    assert sorted((a[:16] for a in after["attempts"]), key=repr) == kept
    assert sorted(b[:3] for b in after["bounces"]) == sorted(b[:3] for b in before["bounces"] if b[1] >= cut)
    assert 0 < len(after["attempts"]) < len(before["attempts"])


def test_a_table_sorted_and_cut_in_the_database_is_the_streaming_table_sorted_and_cut(send_log, tmp_path):
    """What the page gets (the first rows in the order asked, and the count) for every column."""
    from mailserver.qmail.logs.deliveries.ranked import ranked
    from mailserver.qmail.logs.messages import messages
    from mailserver.qmail.logs.reports import Stats, sides_for, table

    store = build(send_log, tmp_path / "ix")
    for start, end in [(1795611600, 1795615200), *_windows(send_log, 157.0, (200.0,))]:
        both = Both(
            send_log, store, tmp_path / "cache", start, end, rcpt=("alice@example.test",) if start % 2 else ()
        )
        for name in TOPS:
            for channel in (None, "remote"):
                for by in (
                    ("recipient", "sender") if name in ("top-deferrals", "top-failures") else ("recipient",)
                ):
                    stats = Stats(channel, both.domains, sides_for(name, by)).add_all(messages(both.chunks()))
                    streamed = table(name, stats, by=by)
                    for column in streamed.columns:
                        for reverse in (False, True):
                            streamed.sort(column, reverse=reverse)
                            got, total = ranked(both.report(channel), name, by, column, reverse, 7)
                            assert (got.columns, got.rows, total) == (
                                streamed.columns, streamed.rows[:7], len(streamed.rows)
                            ), (name, channel, by, column, reverse)  # fmt: skip
        both.close()
