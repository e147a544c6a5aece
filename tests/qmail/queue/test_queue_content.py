"""A message's headers and a size-capped body, read from its mess file."""

from __future__ import annotations

import pytest

from mailserver.qmail.errors import QmailError
from mailserver.qmail.queue.content import read_content


def test_headers_unfolded_and_decoded(snapshot):
    content = read_content(snapshot, 1466718)
    names = [name for name, _ in content.headers]
    assert names[0] == "Received"  # qmail-queue's own line first
    assert content.size == 586 and not content.body_truncated
    assert content.header("subject") is not None
    assert "\n" not in "".join(value for _, value in content.headers)


def test_an_encoded_subject_is_shown_decoded(snapshot):
    path = snapshot.path("mess", 1466718)
    path.write_bytes(b"Received: x\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n\tcontinued\n\nbody\n")
    assert read_content(snapshot, 1466718).header("Subject") == "Grüße continued"


def test_a_big_body_is_cut(snapshot):
    content = read_content(snapshot, 1466841, cap=1000)  # 40250 bytes
    assert len(content.body.encode()) <= 1000 and content.body_truncated
    assert content.size == 40250


def test_a_message_not_in_the_queue(snapshot):
    with pytest.raises(QmailError, match="not in the queue"):
        read_content(snapshot, 42)
