"""Exact counts over the real qmail-send logs, checked against numbers worked out without our code.

How the expected numbers were derived (once, by hand, with awk over the raw files; not with
mailserver.qmail.logs): `cat @*.s current | TZ=UTC tai64nlocal | awk -f join.awk`, where join.awk
keeps its own run counter (incremented on "status: exiting"), pairs "starting delivery D" with
"delivery D:" by (run, D), takes the sender from the last "info msg N" and prints one line per result
(date, time, result, channel, sender, recipient) and per "bounce msg N" (the message's sender):

    $3=="status:" && $4=="exiting" {run++; next}
    $3=="info" {id=$5; sub(/:$/,"",id); s=$9; gsub(/^<|>$/,"",s); if (s=="") s="<>"
                sender[id]=tolower(s); next}
    $3=="starting" {d=$5; sub(/:$/,"",d); rc[run,d]=tolower($10); ch[run,d]=$9; msg[run,d]=$7; next}
    $3=="delivery" {d=$4; sub(/:$/,"",d); r=$5; sub(/:$/,"",r); m=msg[run,d]
                    print "RESULT",$1,$2,r,ch[run,d],sender[m],rc[run,d]}
    $3=="bounce" {print "BOUNCE",$1,$2,sender[$5]}

then `sort | uniq -c` per column. No result was left without its start. Messages and bytes per sender
come from the "info msg" lines alone (awk '$2=="info" {n[$8]++; b[$8]+=$6}'); bounces received per
recipient from "starting delivery" lines of messages whose info line says from <> or <#@[]>, counted
once per (message, recipient). The grep totals: grep -c ': success:' etc., grep -c 'bounce msg'.
"""

from __future__ import annotations

import pytest

from mailserver.qmail.logs import read_messages, top_table
from mailserver.qmail.logs.files import LogDir
from mailserver.qmail.logs.messages import Message
from mailserver.qmail.logs.reports import Stats, table


@pytest.fixture(scope="module")
def all_messages() -> list[Message]:
    from logs_support import SEND_LOG

    log = LogDir(SEND_LOG)
    return list(read_messages(log.chunks(log.start, log.end)))


def test_totals_match_grep(all_messages: list[Message]) -> None:
    results = [a.result for m in all_messages for a in m.attempts]
    assert results.count("success") == 426
    assert results.count("deferral") == 86
    assert results.count("failure") == 101
    assert sum(len(m.bounces) for m in all_messages) == 90
    assert sum(m.received for m in all_messages) == 440  # grep -c 'new msg'
    assert sum(bool(m.ended) for m in all_messages) == 422  # grep -c 'end msg': 18 still queued


# sender: (success, deferral, failure, bounces) - every sender in the logs
PER_SENDER = {
    "#@[]": (14, 0, 3, 0),
    "<>": (106, 2, 10, 10),
    "alice@example.test": (68, 20, 26, 23),
    "billing@sink.example.net": (44, 6, 9, 8),
    "bob@example.test": (27, 3, 9, 9),
    "dave@example.test": (3, 0, 0, 0),
    "dave@mail.example.test": (36, 19, 13, 11),
    "erin@sink.example.net": (2, 0, 0, 0),
    "news@sink.example.net": (63, 18, 17, 16),
    "newsletter@example.test": (2, 10, 0, 0),
    "noreply@reject.example.com": (24, 4, 5, 5),
    "ops@sink.example.net": (15, 2, 4, 3),
    "outsider@sink.example.net": (3, 0, 0, 0),
    "root@example.test": (18, 2, 5, 5),
    "tester@example.test": (1, 0, 0, 0),
}


def test_successes_deferrals_failures_and_bounces_per_sender(all_messages: list[Message]) -> None:
    senders = top_table("top-senders", all_messages)
    got = {row[0]: tuple(row[3:7]) for row in senders.rows}
    assert got == PER_SENDER


def test_messages_and_bytes_per_sender(all_messages: list[Message]) -> None:
    senders = {row[0]: (row[1], row[2]) for row in top_table("top-senders", all_messages).rows}
    assert senders["alice@example.test"] == (74, 484759)
    assert senders["news@sink.example.net"] == (65, 75553)
    assert senders["<>"] == (112, 564394)
    assert senders["#@[]"] == (17, 38088)
    assert senders["dave@mail.example.test"] == (42, 178686)
    assert sum(n for n, _ in senders.values()) == 440


# recipient: (success, deferral, failure, bounces received)
PER_RECIPIENT = {
    "carol@example.test": (0, 21, 5, 0),
    "alice@mail.example.test": (85, 0, 0, 15),
    "alice@example.test": (37, 0, 0, 24),
    "postmaster@mail.example.test": (7, 0, 3, 10),
    "sales@greylist.example.org": (0, 10, 4, 0),
    "info@greylist.example.org": (0, 8, 4, 1),
    "bob@localhost.example.test": (0, 15, 5, 0),
    "client2@deferred.example.org": (0, 10, 4, 0),
    "nospam@example.test": (0, 0, 10, 0),
    "ghost@mail.example.test": (0, 0, 10, 0),
    "noreply@reject.example.com": (0, 0, 5, 5),
    "alice-foo@example.test": (0, 0, 7, 0),
    "mailer-daemon@example.test": (14, 0, 0, 0),
    "dave@sink.example.net": (25, 0, 0, 11),
}


def test_successes_deferrals_failures_and_bounces_per_recipient(all_messages: list[Message]) -> None:
    recipients = {row[0]: tuple(row[2:6]) for row in top_table("top-recipients", all_messages).rows}
    for recipient, expected in PER_RECIPIENT.items():
        assert recipients[recipient] == expected, recipient
    assert len(recipients) == 86  # awk ... | cut -d" " -f7 | sort -u | wc -l


# (success, deferral, failure, bounces) on one channel. Bounces per channel: the "bounce msg" lines
# of messages with a failed delivery on that channel (the awk join, extended to list each message's
# failures as CHANNEL:RECIPIENT at its "bounce msg"; see test_logs_filters.py), then grep the
# channel and uniq -c by sender. 4 messages failed on both channels: 49 + 45 = 94 of the 90.
@pytest.mark.parametrize(
    ("channel", "totals", "per_sender"),
    [
        (
            "local",
            (279, 21, 54, 49),
            {
                "alice@example.test": (50, 7, 14, 13),
                "news@sink.example.net": (40, 6, 10, 10),
                "dave@mail.example.test": (25, 8, 5, 4),
                "<>": (62, 0, 2, 2),
            },
        ),
        (
            "remote",
            (147, 65, 47, 45),
            {
                "alice@example.test": (18, 13, 12, 11),
                "news@sink.example.net": (23, 12, 7, 7),
                "dave@mail.example.test": (11, 11, 8, 7),
                "<>": (44, 2, 8, 8),
            },
        ),
    ],
)
def test_the_local_and_remote_flavours_split_the_deliveries(
    all_messages: list[Message],
    channel: str,
    totals: tuple[int, int, int],
    per_sender: dict[str, tuple[int, ...]],
) -> None:
    stats = Stats(channel).add_all(all_messages)
    senders = {row[0]: tuple(row[3:7]) for row in table("top-senders", stats).rows}
    assert tuple(sum(row[i] for row in senders.values()) for i in range(4)) == totals
    for sender, expected in per_sender.items():
        assert senders[sender] == expected
