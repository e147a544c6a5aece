"""Deliveries join their messages across file rotation, qmail-send restarts and reordering."""

from __future__ import annotations

from pathlib import Path

from mailserver.qmail.logs.files import LogDir
from mailserver.qmail.logs.messages import RESULT, Joiner, Message, messages
from mailserver.qmail.logs.tai64n import stamp


def lines(*events: tuple[float, str]) -> list[bytes]:
    return [f"{stamp(t)} {text}".encode() for t, text in events]


def joined(raw: list[bytes]) -> dict[int, list[Message]]:
    found: dict[int, list[Message]] = {}
    for message in messages([b"\n".join(raw) + b"\n"]):
        found.setdefault(message.id, []).append(message)
    return found


def test_every_result_in_the_real_logs_finds_its_start(send_log: Path) -> None:
    log = LogDir(send_log)
    joiner = Joiner()
    orphans = 0
    found: list[Message] = []
    for line in log.lines():
        joiner.feed_block((line,), found)
        orphans += joiner.kind == RESULT and joiner.message is None
    found += joiner.finish()
    attempts = [a for m in found for a in m.attempts]
    # over @*.s + current: grep -c 'starting delivery' = 613 = grep -c '[0-9a-f] delivery [0-9]*: '
    # (the results; ' delivery [0-9]*: ' alone would match the starts too: 1226)
    assert orphans == 0
    assert len(attempts) == 613
    assert all(a.result for a in attempts)
    assert len(joiner.exits) == 5  # grep -c 'status: exiting'


def test_a_message_joins_across_rotation_and_three_restarts(send_log: Path) -> None:
    # msg 1466924 (grep -n 'msg 1466924\|delivery 21[789]: '): arrives near the end of the first
    # rotated file (its three starts are among that file's last six lines), all three results are in
    # the second file, it is retried as delivery 388, then, three restarts later, as delivery 1.
    log = LogDir(send_log)
    message = next(m for m in messages(log.chunks(log.start, log.end)) if m.id == 1466924 and m.sender)
    assert (message.sender, message.size, message.uid) == ("alice@example.test", 40289, 1008)
    assert [(a.number, a.channel, a.recipient, a.result) for a in message.attempts] == [
        (217, "local", "carol@example.test", "deferral"),
        (218, "remote", "user19@sink.example.net", "success"),
        (219, "local", "alice@example.test", "success"),
        (388, "local", "carol@example.test", "deferral"),
        (1, "local", "carol@example.test", "failure"),
    ]
    assert message.attempts[-1].text.endswith("this_message_has_been_in_the_queue_too_long./")
    assert [qp for _, qp in message.bounces] == [10145]
    assert message.received and message.ended
    assert [text for _, text in message.timeline()][-2:] == ["bounce sent (qp 10145)", "left the queue"]


def test_delivery_numbers_pair_within_their_own_run_even_when_lines_arrive_late() -> None:
    # What an x-filter hands on: message 1's held-back lines come after run 2 has started.
    raw = lines(
        (103, "status: exiting"),
        (105, "new msg 2"),
        (105, "info msg 2: bytes 300 from <b@example.test> qp 11 uid 1000"),
        (106, "starting delivery 1: msg 2 to local b@example.test"),
        (100, "new msg 1"),
        (100, "info msg 1: bytes 200 from <a@example.test> qp 10 uid 1000"),
        (101, "starting delivery 1: msg 1 to remote a@example.net"),
        (102, "delivery 1: deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/"),
        (107, "delivery 1: success: did_1+0+0/"),
        (108, "end msg 2"),
    )
    found = joined(raw)
    assert [a.result for a in found[1][0].attempts] == ["deferral"]
    assert [a.result for a in found[2][0].attempts] == ["success"]


def test_a_restart_without_status_exiting_is_seen_from_the_numbering() -> None:
    # qmail-send was killed (no "status: exiting"): the next run starts again at delivery 1.
    raw = lines(
        (100, "new msg 1"),
        (100, "info msg 1: bytes 200 from <a@example.test> qp 10 uid 1000"),
        (101, "starting delivery 7: msg 1 to local a@example.test"),
        (110, "status: local 0/10 remote 0/20"),
        (111, "new msg 2"),
        (111, "info msg 2: bytes 300 from <b@example.test> qp 11 uid 1000"),
        (112, "starting delivery 1: msg 2 to local b@example.test"),
        (113, "delivery 1: success: did_1+0+0/"),
        (102, "delivery 7: deferral: Unable_to_chdir_to_maildir._(#4.2.1)/"),  # late, from the old run
        (114, "delivery 7: success: did_1+0+0/"),  # no delivery 7 was started in this run
    )
    joiner = Joiner()
    joiner.feed_block(raw)
    assert len(joiner.exits) == 1
    first, second = joiner.open[1], joiner.open[2]
    assert [a.result for a in first.attempts] == ["deferral"]
    assert [a.result for a in second.attempts] == ["success"]


def test_a_reused_message_id_is_a_new_message() -> None:
    raw = lines(
        (100, "new msg 5"),
        (100, "info msg 5: bytes 200 from <a@example.test> qp 10 uid 1000"),
        (101, "end msg 5"),
        (102, "new msg 5"),
        (102, "info msg 5: bytes 999 from <b@example.test> qp 12 uid 1000"),
        (103, "end msg 5"),
    )
    assert [(m.sender, m.size) for m in joined(raw)[5]] == [("a@example.test", 200), ("b@example.test", 999)]


def test_a_header_without_new_msg_is_context_not_an_arrival() -> None:
    raw = lines(
        (90, "info msg 9: bytes 4000 from <old@example.test> qp 10 uid 1000"),
        (101, "starting delivery 3: msg 9 to remote x@example.net"),
        (102, "delivery 3: success: 127.0.0.1_accepted_message./Remote_host_said:_250_ok/"),
        (103, "end msg 9"),
    )
    [message] = joined(raw)[9]
    assert message.sender == "old@example.test" and message.size == 4000
    assert not message.received


def test_a_bounce_chain_ends_in_a_triple_bounce() -> None:
    raw = lines(
        (100, "new msg 3"),
        (100, "info msg 3: bytes 752 from <#@[]> qp 3065 uid 1007"),
        (101, "starting delivery 4: msg 3 to local postmaster@example.test"),
        (102, "delivery 4: failure: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/"),
        (103, "triple bounce: discarding bounce/3"),
        (104, "end msg 3"),
    )
    [message] = joined(raw)[3]
    assert message.triple_bounce and message.sender == "#@[]"
