"""The top-* tables sort by any column and combine per user and per domain; show-* rows read well.

Expected numbers: the awk join of test_logs_counts.py, grouped by the sender's or recipient's domain
(awk '{d=$5; sub(/.*@/,"",d)} d=="example.test" {print $2}' | sort | uniq -c).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailserver.qmail.logs import read_messages, top_table
from mailserver.qmail.logs.files import LogDir
from mailserver.qmail.logs.messages import Message
from mailserver.qmail.logs.render import show_line, table_lines
from mailserver.qmail.logs.reports import Table, show


@pytest.fixture(scope="module")
def all_messages() -> list[Message]:
    from logs_support import SEND_LOG

    log = LogDir(SEND_LOG)
    return list(read_messages(log.chunks(log.start, log.end)))


def test_top_deferrals_lists_the_most_deferred_recipients_first(all_messages: list[Message]) -> None:
    table = top_table("top-deferrals", all_messages).sort()
    assert table.columns == ["recipient", "deferrals", "messages", "last_reason"]
    assert [row[:2] for row in table.rows[:4]] == [
        ["carol@example.test", 21],
        ["bob@localhost.example.test", 15],
        ["client2@deferred.example.org", 10],  # ties go A-Z
        ["sales@greylist.example.org", 10],
    ]
    assert table.rows[0][3] == "Unable to chdir to maildir. (#4.2.1)"


def test_top_deferrals_can_count_per_sender(all_messages: list[Message]) -> None:
    table = top_table("top-deferrals", all_messages, by="sender").sort()
    assert [row[:2] for row in table.rows[:3]] == [
        ["alice@example.test", 20],
        ["dave@mail.example.test", 19],
        ["news@sink.example.net", 18],
    ]


def test_top_failures_omits_addresses_without_failures(all_messages: list[Message]) -> None:
    table = top_table("top-failures", all_messages).sort()
    assert all(row[1] > 0 for row in table.rows)  # type: ignore[operator]
    assert sum(int(row[1]) for row in table.rows) == 101


def test_any_column_sorts_and_a_prefix_names_it(all_messages: list[Message]) -> None:
    table = top_table("top-senders", all_messages)
    assert table.sort("fail").rows[0][0] == "alice@example.test"  # 26 failures
    assert table.sort("bytes").rows[0][0] == "<>"  # 564394 bytes of bounces
    assert table.sort("sender").rows[0][0] == "#@[]"  # text sorts A-Z
    reverse = table.sort("messages", reverse=True).rows
    assert reverse[-1][0] == "<>" and reverse[0][1] == 1
    with pytest.raises(ValueError, match="no single column"):
        table.sort("s")  # sender or success?


def test_user_stats_combine_what_a_user_sent_and_received(all_messages: list[Message]) -> None:
    table = top_table("top-user-stats", all_messages)
    row = next(r for r in table.rows if r[0] == "alice@example.test")
    assert dict(zip(table.columns, row, strict=True)) == {
        "user": "alice@example.test",
        "sent": 74,
        "bytes": 484759,
        "sent_ok": 68,
        "sent_deferred": 20,
        "sent_failed": 26,
        "bounced": 23,
        "received": 37,
        "rcvd_deferred": 0,
        "rcvd_failed": 0,
    }


def test_domain_stats_add_up_the_users_of_a_domain(all_messages: list[Message]) -> None:
    table = top_table("top-domain-stats", all_messages)
    row = next(r for r in table.rows if r[0] == "example.test")
    # bytes: awk '$2=="info" {s=$8; sub(/.*@/,"",s); sub(/>$/,"",s)} s=="example.test" {b+=$6}'
    assert row[1:] == [127, 774726, 119, 35, 40, 37, 142, 21, 41]


def test_a_flavour_counts_only_its_channel(all_messages: list[Message]) -> None:
    local = top_table("top-recipients", all_messages, channel="local")
    remote = top_table("top-recipients", all_messages, channel="remote")
    assert sum(int(r[2]) for r in local.rows) == 279 and sum(int(r[2]) for r in remote.rows) == 147
    assert not {r[0] for r in local.rows} & {r[0] for r in remote.rows}


def test_tables_print_aligned_or_tab_separated() -> None:
    table = Table(["sender", "messages"], [["a@example.test", 3], ["<>", 12]], "messages").sort()
    assert list(table_lines(table, tsv=False)) == [
        "SENDER          MESSAGES",
        "<>                    12",
        "a@example.test         3",
    ]
    assert list(table_lines(table, tsv=True, limit=1)) == ["sender\tmessages", "<>\t12"]


def test_show_rows_read_like_a_sentence(send_log: Path, tool_env: dict[str, str]) -> None:
    log = LogDir(send_log)
    first = next(show(log.chunks(log.start, log.end)))
    assert show_line(first, detail=True, tsv=True).split("\t") == [
        "2026-11-25 13:33:21",
        "success",
        "local",
        "alice@mail.example.test",
        "dave@example.test",
        "298",
        "1466718",
        "did 1+0+0",
    ]
