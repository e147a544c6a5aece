"""One qmail-send log line as a typed record (qmail-log(5), as seen in the real fixture logs).

The raw line is kept: it is what the pipe between the tools carries, and ``tai64nlocal`` still
works on it. Texts stay escaped as qmail-send wrote them (space and anything outside 33..126 ->
``_``, newline -> ``/``) because the escaping cannot be undone exactly; :func:`readable` makes a
display form. The joiner in messages.py classifies lines with the same byte offsets but inline,
for speed; tests run both over the real logs to keep them in step.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .tai64n import STAMP_LEN, is_label, to_unix

# Text starts after "@" + 24 hex + " ".
BODY = STAMP_LEN + 1


class Kind(enum.IntEnum):
    OTHER = 0  # no stamp, or a line qmail-send is not known to write
    STATUS = 1  # status: local l/L remote r/R
    EXITING = 2  # status: exiting - the end of one qmail-send run
    NEW = 3  # new msg N
    INFO = 4  # info msg N: bytes B from <S> qp Q uid U
    START = 5  # starting delivery D: msg N to local|remote ADDR
    RESULT = 6  # delivery D: success|deferral|failure: TEXT (or "report mangled")
    BOUNCE = 7  # bounce msg N qp Q
    END = 8  # end msg N
    TRIPLE = 9  # triple bounce: discarding bounce/N
    ALERT = 10  # alert: ...
    WARNING = 11  # warning: ...


_PREFIXES: tuple[tuple[bytes, Kind], ...] = (
    (b"status: exiting", Kind.EXITING),
    (b"status: ", Kind.STATUS),
    (b"new msg ", Kind.NEW),
    (b"info msg ", Kind.INFO),
    (b"starting delivery ", Kind.START),
    (b"delivery ", Kind.RESULT),
    (b"bounce msg ", Kind.BOUNCE),
    (b"end msg ", Kind.END),
    (b"triple bounce: discarding bounce/", Kind.TRIPLE),
    (b"alert: ", Kind.ALERT),
    (b"warning: ", Kind.WARNING),
)


@dataclass(frozen=True, slots=True)
class Record:
    raw: str  # the whole line as logged, without its newline
    label: str  # 24 hex digits of the stamp ("" when the line has none)
    kind: Kind
    msg: int | None = None  # queue id (the inode; reused over time)
    delivery: int | None = None  # only unique within one qmail-send run
    channel: str | None = None  # "local" or "remote"
    address: str | None = None  # recipient (START) or sender (INFO; "" for <>)
    result: str | None = None  # "success", "deferral" or "failure"
    text: str | None = None  # escaped result / alert / warning text
    size: int | None = None  # INFO: message bytes
    qp: int | None = None  # INFO / BOUNCE: pid of the qmail-queue that queued it / the bounce
    uid: int | None = None  # INFO: uid of the injecting process

    @property
    def unix(self) -> float | None:
        return to_unix(self.label) if self.label else None


def kind_of(body: str) -> Kind:
    data = body.encode("latin-1")
    for prefix, kind in _PREFIXES:
        if data.startswith(prefix):
            return kind
    return Kind.OTHER


def parse(line: bytes | str) -> Record:
    """Parse one line; anything unexpected becomes ``Kind.OTHER`` rather than an exception."""
    raw = line.decode("latin-1") if isinstance(line, bytes) else line
    raw = raw.rstrip("\n")
    if not (raw[:1] == "@" and raw[STAMP_LEN:BODY] == " " and is_label(raw[1:STAMP_LEN].encode("latin-1"))):
        return Record(raw, "", Kind.OTHER)
    label, body = raw[1:STAMP_LEN], raw[BODY:]
    kind = kind_of(body)
    try:
        return _fields(raw, label, kind, body)
    except (ValueError, IndexError):
        return Record(raw, label, Kind.OTHER)


def _fields(raw: str, label: str, kind: Kind, body: str) -> Record:
    words = body.split(" ")
    if kind in (Kind.NEW, Kind.END):
        return Record(raw, label, kind, msg=int(words[2]))
    if kind is Kind.INFO:  # info msg N: bytes B from <S> qp Q uid U
        sender = body[body.index(" from <") + 7 : body.rindex("> qp ")]
        return Record(
            raw,
            label,
            kind,
            msg=int(words[2].rstrip(":")),
            address=sender,
            size=int(words[4]),
            qp=int(words[-3]),
            uid=int(words[-1]),
        )
    if kind is Kind.START:  # starting delivery D: msg N to CHANNEL ADDR
        return Record(
            raw,
            label,
            kind,
            delivery=int(words[2].rstrip(":")),
            msg=int(words[4]),
            channel=words[6],
            address=" ".join(words[7:]),
        )
    if kind is Kind.RESULT:  # delivery D: RESULT: TEXT
        number, rest = body[9:].split(": ", 1)
        if rest.startswith(("success: ", "deferral: ", "failure: ")):
            result, text = rest.split(": ", 1)
        else:  # "report mangled, will defer": qmail-send treats it as a deferral
            result, text = "deferral", rest
        return Record(raw, label, kind, delivery=int(number), result=result, text=text)
    if kind is Kind.BOUNCE:
        return Record(raw, label, kind, msg=int(words[2]), qp=int(words[4]))
    if kind is Kind.TRIPLE:
        return Record(raw, label, kind, msg=int(body.rsplit("/", 1)[1]))
    if kind in (Kind.ALERT, Kind.WARNING):
        return Record(raw, label, kind, text=body.split(": ", 1)[1])
    return Record(raw, label, kind)


def readable(text: str) -> str:
    """Display form of an escaped text: ``_`` -> space, the ``/`` line breaks -> `` / ``."""
    return " / ".join(part.replace("_", " ") for part in text.rstrip("/").split("/"))


def sender_text(sender: str) -> str:
    """How reports print a sender: ``<>`` for the null sender (bounces), else the address."""
    return sender if sender else "<>"
