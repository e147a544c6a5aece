"""Each kind of qmail-send line (log-lines.md) parses into a typed record; the joiner agrees."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailserver.qmail.logs.messages import Joiner
from mailserver.qmail.logs.records import Kind, parse, readable

EXAMPLES = {
    "@400000006b06e39812e9a6e4 status: local 0/10 remote 0/20": Kind.STATUS,
    "@400000006b06e3a03565d684 status: exiting": Kind.EXITING,
    "@400000006b06e3ab24824a64 new msg 1466718": Kind.NEW,
    "@400000006b06e3ea1dfc52ac info msg 1466740: bytes 1193 from <> qp 902 uid 1007": Kind.INFO,
    "@400000006b06e3ab24a8450c starting delivery 2: msg 1466718 to remote a@sink.example.net": Kind.START,
    "@400000006b06e3ee01cd2c8c delivery 52: success: did_0+1+0/qp_1043/": Kind.RESULT,
    "@400000006b06e3ea1deeae7c bounce msg 1466718 qp 902": Kind.BOUNCE,
    "@400000006b06e3ab256203d4 end msg 1466718": Kind.END,
    "@400000006b06e4251039a5fc triple bounce: discarding bounce/1466761": Kind.TRIPLE,
    "@400000006b06e42f1e224584 alert: unable to reread control/locals": Kind.ALERT,
    "@400000006b06e4521f1d148c warning: trouble injecting bounce message, will try later": Kind.WARNING,
    "no stamp at all": Kind.OTHER,
}


@pytest.mark.parametrize(("line", "kind"), EXAMPLES.items())
def test_it_knows_every_line_kind_qmail_send_writes(line: str, kind: Kind) -> None:
    assert parse(line).kind is kind
    assert parse(line).raw == line


def test_an_info_line_gives_sender_size_qp_and_uid() -> None:
    record = parse(
        "@400000006b06e3ab24824e4c info msg 1466718: bytes 298 from <dave@example.test> qp 30194 uid 1010"
    )
    assert (record.msg, record.address, record.size, record.qp, record.uid) == (
        1466718,
        "dave@example.test",
        298,
        30194,
        1010,
    )
    assert record.unix == pytest.approx(1795613601.60)


def test_bounces_have_the_null_sender_and_double_bounces_hash_at_brackets() -> None:
    assert (
        parse("@400000006b06e3ea1dfc52ac info msg 1466740: bytes 1193 from <> qp 902 uid 1007").address == ""
    )
    double = parse("@400000006b06e3f001cbe46c info msg 1466782: bytes 2421 from <#@[]> qp 1108 uid 1007")
    assert double.address == "#@[]"


def test_a_start_gives_delivery_number_message_channel_and_recipient() -> None:
    record = parse("@400000006b06e3ab24a81a14 starting delivery 1: msg 1466718 to local bob@example.test")
    assert (record.delivery, record.msg, record.channel, record.address) == (
        1,
        1466718,
        "local",
        "bob@example.test",
    )


def test_a_result_keeps_its_text_escaped_and_readable_unescapes_it() -> None:
    record = parse(
        "@400000006b06e4e1085cec2c delivery 26: failure: 127.0.0.1_does_not_like_recipient./Remote_host_said:"
        "_451_4.7.1_<sales@greylist.example.org>:_Recipient_address_rejected:_Greylisted,_please_try_again_later"
        "/Giving_up_on_127.0.0.1./I'm_not_going_to_try_again;_this_message_has_been_in_the_queue_too_long./"
    )
    assert (record.delivery, record.result) == (26, "failure")
    assert record.text is not None and record.text.startswith("127.0.0.1_does_not_like_recipient./")
    assert readable(record.text).endswith(
        "/ Giving up on 127.0.0.1. / I'm not going to try again; this message has been in the queue too long."
    )


def test_a_mangled_report_counts_as_a_deferral() -> None:
    record = parse("@400000006b06e3ab254849e4 delivery 3: report mangled, will defer")
    assert (record.kind, record.result) == (Kind.RESULT, "deferral")


def test_a_damaged_line_is_other_not_an_exception() -> None:
    assert parse("@400000006b06e3ab254849e4 delivery x: success: did_1+0+0/").kind is Kind.OTHER
    assert parse("@400000006b06e3ab254849e4 new msg").kind is Kind.OTHER


def test_the_joiner_classifies_every_fixture_line_like_the_parser(send_log: Path) -> None:
    joiner = Joiner()
    lines = b"".join(p.read_bytes() for p in sorted(send_log.iterdir())).splitlines()
    for line in lines:
        joiner.feed(line)
        record = parse(line)
        assert joiner.kind == record.kind, line
        if record.kind is Kind.INFO:
            message = joiner.message
            assert message is not None
            assert (message.id, message.sender, message.size, message.uid) == (
                record.msg,
                record.address,
                record.size,
                record.uid,
            )
        if record.kind is Kind.START:
            assert joiner.attempt is not None
            assert (joiner.attempt.number, joiner.attempt.recipient) == (record.delivery, record.address)
        if record.kind is Kind.RESULT:
            assert joiner.attempt is not None
            assert (joiner.attempt.result, joiner.attempt.text) == (record.result, record.text)
