"""The byte formats of the queue's files, read and written as qmail-queue and qmail-send do.

Every record ends in a NUL and starts with one letter (qmail-queue(8), qmail-send.c):

- todo/ID and intd/ID, the envelope qmail-queue writes: ``u<uid>`` ``p<pid>`` ``F<sender>``
  then ``T<recipient>`` per recipient;
- info/N/ID: ``F<sender>`` alone (the message's birth is the file's mtime);
- local/N/ID and remote/N/ID: ``T<address>`` for a recipient still to do, ``D<address>`` once
  it is done (qmail-send overwrites the letter in place);
- bounce/ID: plain text, ``<address>:`` and the reason, per failed recipient.

A file that breaks these rules raises :class:`Malformed`; qmail-send logs "unknown record type"
for such a file and leaves it alone, and so does the panel (the queue check lists it).
Addresses are bytes on disk; they are decoded as UTF-8 with replacement characters, which only
matters for display: messages are picked by number, never by a decoded address.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import QmailError


class Malformed(QmailError):
    """A queue file whose records qmail would not read."""


def text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Recipient:
    address: str
    done: bool


@dataclass(frozen=True, slots=True)
class Envelope:
    """What qmail-queue wrote to intd/ID (todo/ID is the same file)."""

    uid: int | None
    pid: int | None
    sender: str
    recipients: tuple[str, ...]


def _records(data: bytes, what: str) -> list[bytes]:
    if not data:
        return []
    if not data.endswith(b"\0"):
        raise Malformed(f"{what} does not end with a NUL: it was cut short")
    return data[:-1].split(b"\0")


def _number(raw: bytes) -> int | None:
    return int(raw) if raw.isdigit() else None


def parse_envelope(data: bytes) -> Envelope:
    uid = pid = None
    sender: str | None = None
    recipients = []
    for record in _records(data, "the envelope"):
        kind, value = record[:1], record[1:]
        if kind == b"u":
            uid = _number(value)
        elif kind == b"p":
            pid = _number(value)
        elif kind == b"F":
            sender = text(value)
        elif kind == b"T":
            recipients.append(text(value))
        else:
            raise Malformed(f"unknown record type {kind!r} in the envelope")
    if sender is None:
        raise Malformed("the envelope has no sender (F) record")
    return Envelope(uid, pid, sender, tuple(recipients))


def parse_info(data: bytes) -> str:
    """The envelope sender of an info file ("" for a bounce, "#@[]" for a double bounce)."""
    records = _records(data, "the info file")
    if not records or not records[0].startswith(b"F"):
        raise Malformed("the info file does not start with a sender (F) record")
    return text(records[0][1:])


def parse_channel(data: bytes) -> tuple[Recipient, ...]:
    recipients = []
    for record in _records(data, "the recipient list"):
        kind = record[:1]
        if kind not in (b"T", b"D"):
            raise Malformed(f"unknown record type {kind!r} in the recipient list")
        recipients.append(Recipient(text(record[1:]), done=kind == b"D"))
    return tuple(recipients)


def encode_envelope(uid: int, pid: int, sender: str, recipients: Iterable[str]) -> bytes:
    parts = [b"u%d" % uid, b"p%d" % pid, b"F" + sender.encode()]
    parts += [b"T" + address.encode() for address in recipients]
    return b"".join(part + b"\0" for part in parts)


def encode_info(sender: str) -> bytes:
    return b"F" + sender.encode() + b"\0"


def encode_channel(recipients: Iterable[Recipient]) -> bytes:
    return b"".join((b"D" if r.done else b"T") + r.address.encode() + b"\0" for r in recipients)
