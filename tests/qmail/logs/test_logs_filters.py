"""The x-filters keep whole messages (sender and size survive) and narrow the deliveries asked for.

Expected numbers: the awk join described in test_logs_counts.py, extended with the uid of each
message's info line, then e.g. awk '$3==1008 {print $2}' | sort | uniq -c. Bounces: the same join
(over `cat @*.s current | TZ=UTC tai64nlocal`) keeps, per open message, its recipients and the
recipients whose delivery failed, and prints them at each "bounce msg N":

    $3=="new" {fail[$5]=""; nrc[$5]=""}
    $3=="starting" {... nrc[$7]=nrc[$7] " " tolower($10)}
    $3=="delivery" {... if (r=="failure") fail[m]=fail[m] " " ch[run,d] ":" rc[run,d]}
    $3=="bounce" {print "BOUNCE", $1, $2, $5, sender[$5], "|" fail[$5], "|rcpts" nrc[$5]}
    $3=="end" {delete fail[$5]; delete nrc[$5]}

90 lines. 4 belong to messages with a delivery to alice@example.test, each caused by a failure to
another recipient; the 5 of carol@example.test's messages were each caused by a failure to carol
(senders: alice@example.test 2, news@sink.example.net 3). For sink.example.net (xuser): 27 come
from a sink sender or name a sink recipient among the failures; 8 more only had a sink recipient.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path

import pytest

from mailserver.qmail.logs import filters, read_messages, top_table
from mailserver.qmail.logs.domains import Domains
from mailserver.qmail.logs.messages import Message
from mailserver.qmail.logs.reports import show
from mailserver.qmail.logs.selection import select


def kept(send_log: Path, rule: filters.Rule, start: float | None = None) -> list[Message]:
    return list(read_messages(filters.apply(select(send_log, start).chunks(), rule)))


def results(messages: list[Message]) -> Counter[str]:
    return Counter(str(a.result) for m in messages for a in m.attempts)


def test_xsend_keeps_every_delivery_and_bounce_of_the_senders_mail(
    send_log: Path, tool_env: dict[str, str]
) -> None:
    messages = kept(send_log, filters.by_sender(["Alice@Example.test"]))
    assert results(messages) == {"success": 68, "deferral": 20, "failure": 26}
    assert sum(len(m.bounces) for m in messages) == 23
    assert {m.sender for m in messages} == {"alice@example.test"}


def test_xsend_angle_brackets_select_bounces(send_log: Path, tool_env: dict[str, str]) -> None:
    assert results(kept(send_log, filters.by_sender(["<>"]))) == {
        "success": 106,
        "deferral": 2,
        "failure": 10,
    }


def test_xrcpt_keeps_only_that_recipients_deliveries_but_the_whole_header(
    send_log: Path, tool_env: dict[str, str]
) -> None:
    messages = kept(send_log, filters.by_recipient(["carol@example.test"]))
    assert {a.recipient for m in messages for a in m.attempts} == {"carol@example.test"}
    by_sender = Counter((m.sender, a.result) for m in messages for a in m.attempts)
    assert by_sender == {
        ("alice@example.test", "deferral"): 7,
        ("alice@example.test", "failure"): 2,
        ("dave@mail.example.test", "deferral"): 8,
        ("news@sink.example.net", "deferral"): 6,
        ("news@sink.example.net", "failure"): 3,
    }
    assert all(m.size > 0 for m in messages)


def bounced(messages: list[Message]) -> Counter[str | None]:
    return Counter(m.sender for m in messages for _ in m.bounces)


def test_xrcpt_keeps_a_bounce_only_when_a_kept_delivery_failed(
    send_log: Path, tool_env: dict[str, str]
) -> None:
    alice = filters.by_recipient(["alice@example.test"])
    assert bounced(kept(send_log, alice)) == {}  # her 4 messages bounced for other recipients
    assert bounced(list(filters.messages(select(send_log).chunks(), alice))) == {}
    carol = filters.by_recipient(["carol@example.test"])
    expected = {"alice@example.test": 2, "news@sink.example.net": 3}
    assert bounced(kept(send_log, carol)) == expected
    assert bounced(list(filters.messages(select(send_log).chunks(), carol))) == expected


def test_after_a_selector_the_filter_still_sees_senders_of_older_mail(
    send_log: Path, tool_env: dict[str, str]
) -> None:
    start = 1795613760.0  # 13:36:00: carol's deferred mail arrived minutes earlier
    rule = filters.by_recipient(["carol@example.test"])
    rows = list(show(filters.apply(select(send_log, start).chunks(), rule)))
    assert rows and all(r.sender is not None and r.recipient == "carol@example.test" for r in rows)
    assert all(r.when >= start for r in rows)


def test_xwebmail_keeps_mail_injected_by_the_webmail_uid(send_log: Path, tool_env: dict[str, str]) -> None:
    messages = kept(send_log, filters.by_uid({1008}))  # alice's uid stands in for the webmail's
    assert results(messages) == {"success": 27, "deferral": 18, "failure": 15}
    assert sum(m.received for m in messages) == 33  # grep -c 'uid 1008$'


def test_xuser_keeps_mail_from_and_to_the_users_domains(
    send_log: Path, tool_env: dict[str, str], tmp_path: Path
) -> None:
    root = tmp_path / "qmail"
    (root / "control").mkdir(parents=True)
    (root / "users").mkdir()
    (root / "control" / "virtualdomains").write_text("sink.example.net:sinkco\nother.example:someone\n")
    (root / "users" / "assign").write_text(
        "+sinkco-:sinkowner:2001:2001:/home/sinkowner:-::\n+someone-:someone:2002:2002:/home/someone:-::\n.\n"
    )
    owned = Domains.load(root).owned_by("sinkowner")
    assert owned == {"sink.example.net"}
    messages = kept(send_log, filters.by_owner(owned))
    assert results(messages) == {"success": 224, "deferral": 26, "failure": 30}
    assert sum(len(m.bounces) for m in messages) == 27  # not the 8 caused by other recipients


def test_messages_undecided_at_their_end_are_dropped(send_log: Path, tool_env: dict[str, str]) -> None:
    assert kept(send_log, filters.by_recipient(["nobody@nowhere.example"])) == []


def test_status_exiting_passes_so_later_stages_see_the_restarts(
    send_log: Path, tool_env: dict[str, str]
) -> None:
    out = b"".join(filters.apply(select(send_log).chunks(), filters.by_recipient(["nobody@nowhere.example"])))
    assert out.count(b"status: exiting") == 5
    assert b"status: local" not in out


def test_the_api_form_narrows_deliveries_like_the_pipe(send_log: Path, tool_env: dict[str, str]) -> None:
    rule = filters.by_recipient(["carol@example.test"])
    direct = list(filters.messages(select(send_log).chunks(), rule))
    assert results(direct) == results(kept(send_log, rule))
    table = top_table("top-recipients", direct)
    assert [row[0] for row in table.rows] == ["carol@example.test"]


@pytest.mark.parametrize(
    ("virtual", "address", "owner"),
    [
        ("example.com:joe", "joe-info@example.com", "joe"),
        (".example.com:joe", "joe-info@mail.example.com", "joe"),
        ("info@example.com:joe", "joe-info@example.com", "joe"),
    ],
)
def test_virtual_domain_addresses_read_as_sent(
    tmp_path: Path, virtual: str, address: str, owner: str
) -> None:
    (tmp_path / "control").mkdir()
    (tmp_path / "control" / "virtualdomains").write_text(virtual + "\n")
    domains = Domains.load(tmp_path)
    assert domains.original(address) == address.replace("joe-", "", 1)
    assert domains.owner(domains.prefix(domains.original(address)) or "").user == owner  # qmail-getpw


def test_domains_are_not_read_through_links_or_from_fifos(tmp_path: Path) -> None:
    (tmp_path / "control").mkdir()
    (tmp_path / "users").mkdir()
    secret = tmp_path / "elsewhere"
    secret.write_text("secret.example:owner\n")
    (tmp_path / "control" / "virtualdomains").symlink_to(secret)
    os.mkfifo(tmp_path / "users" / "assign")
    loaded: list[Domains] = []
    reader = threading.Thread(target=lambda: loaded.append(Domains.load(tmp_path)), daemon=True)
    reader.start()
    reader.join(3)
    if reader.is_alive():  # blocked on the fifo: let it go before failing
        os.close(os.open(tmp_path / "users" / "assign", os.O_WRONLY | os.O_NONBLOCK))
    assert loaded, "Domains.load blocked on a fifo"
    assert (loaded[0].virtual, loaded[0].assign) == ({}, [])
