"""The queue's byte formats, read from the snapshot's real files and written back identically."""

from __future__ import annotations

import pytest

from mailserver.qmail.queue import records
from mailserver.qmail.queue.records import Recipient

# Hexdumps in queue-layout.md: qmail-inject run by dave (uid 1010), recipients in reverse order.
INJECTED = (
    b"u1010\0p30194\0Fdave@example.test\0Tsomeone@sink.example.net\0"
    b"Tbob@example.test\0Talice@mail.example.test\0"
)


def test_an_envelope_as_qmail_queue_writes_it():
    envelope = records.parse_envelope(INJECTED)
    assert (envelope.uid, envelope.pid, envelope.sender) == (1010, 30194, "dave@example.test")
    assert envelope.recipients == ("someone@sink.example.net", "bob@example.test", "alice@mail.example.test")
    assert records.encode_envelope(1010, 30194, "dave@example.test", envelope.recipients) == INJECTED


def test_the_snapshot_files_read_and_encode_back_byte_for_byte(snapshot):
    info = (snapshot.path("info", 1466856)).read_bytes()
    assert records.parse_info(info) == "news@sink.example.net"
    assert records.encode_info("news@sink.example.net") == info
    local = snapshot.path("local", 1466856).read_bytes()
    assert records.parse_channel(local) == (
        Recipient("root@localhost", True),
        Recipient("carol@example.test", False),
    )
    assert records.encode_channel(records.parse_channel(local)) == local
    todo = snapshot.path("todo", 1466767).read_bytes()
    envelope = records.parse_envelope(todo)
    assert (
        records.encode_envelope(envelope.uid or 0, envelope.pid or 0, envelope.sender, envelope.recipients)
        == todo
    )


def test_the_null_sender_and_the_double_bounce_sender():
    assert records.parse_info(b"F\0") == ""
    assert records.parse_info(b"F#@[]\0") == "#@[]"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"Fcut@short", "does not end with a NUL"),
        (b"", "does not start with a sender"),
        (b"Tx@y\0", "does not start with a sender"),
    ],
)
def test_an_info_file_qmail_could_not_read_is_refused(data, reason):
    with pytest.raises(records.Malformed, match=reason):
        records.parse_info(data)


def test_unknown_record_types_are_refused_as_qmail_send_refuses_them():
    with pytest.raises(records.Malformed, match="unknown record type"):
        records.parse_channel(b"Tok@example.test\0Xbad\0")
    with pytest.raises(records.Malformed, match="unknown record type"):
        records.parse_envelope(b"u0\0Fa@b\0Qq\0")
    with pytest.raises(records.Malformed, match="no sender"):
        records.parse_envelope(b"u0\0p1\0Ta@b\0")


def test_bytes_that_are_not_utf8_are_shown_with_replacement_characters():
    assert records.parse_info(b"F\xffuser@example.test\0") == "\ufffduser@example.test"
