"""One queued message, read fresh from all its files: what qmail-qread shows, and more.

qmail-qread lists the messages that have an info file: its mtime is the arrival, the mess
file's size the size, the info file the sender, ``bounce/ID`` existing makes it "bouncing", and
the local and remote files give the recipients with their done marks. A message qmail-send has
not preprocessed yet (only todo/ID and intd/ID beside its mess file) is listed too, from its
envelope; which of its recipients will be local is decided as qmail-send will decide it
(:mod:`mailserver.qmail.delivery`), when the caller passes that rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import QmailError
from . import records, schedule
from .layout import CHANNELS, Layout
from .reader import lstat_regular, read_small

Route = Callable[[str], str]  # address -> "local" | "remote"


def remote_unless_known(address: str) -> str:
    return "remote"


@dataclass(frozen=True, slots=True)
class QueuedRecipient:
    address: str
    channel: str
    done: bool

    def as_json(self) -> dict[str, Any]:
        return {"address": self.address, "channel": self.channel, "done": self.done}


@dataclass(frozen=True)
class QueuedMessage:
    id: int
    arrived: int  # epoch seconds: the info file's mtime (the todo file's before preprocessing)
    size: int | None  # bytes of the mess file; None when it is missing (the check reports that)
    sender: str  # without angle brackets; "" is the null sender of bounces
    bouncing: bool
    preprocessed: bool
    recipients: tuple[QueuedRecipient, ...]
    retries: dict[str, schedule.Retry] = field(default_factory=dict)  # per channel with work left
    expires: int | None = None
    problems: tuple[str, ...] = ()  # files that could not be read, as qmail-qread warns

    @property
    def next_retry(self) -> int | None:
        return int(min(r.at for r in self.retries.values())) if self.retries else None

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(c for c in CHANNELS if any(r.channel == c and not r.done for r in self.recipients))

    def as_json(self) -> dict[str, Any]:
        """The shape ``mailqueue list --json`` and the agent's QUEUE_LIST rows have (fixed)."""
        data: dict[str, Any] = {
            "id": self.id,
            "arrived": self.arrived,
            "size": self.size,
            "sender": self.sender,
            "bouncing": self.bouncing,
            "preprocessed": self.preprocessed,
            "recipients": [r.as_json() for r in self.recipients],
        }
        if self.retries:
            data["next_retry"] = self.next_retry
            data["retries"] = {c: {"at": int(r.at), "exact": r.exact} for c, r in self.retries.items()}
        if self.expires is not None:
            data["expires"] = self.expires
        if self.problems:
            data["problems"] = list(self.problems)
        return data


def _read(layout: Layout, kind: str, msg_id: int, problems: list[str]) -> tuple[bytes, float] | None:
    try:
        data, st = read_small(layout.path(kind, msg_id))
    except FileNotFoundError:
        return None
    except (OSError, QmailError) as exc:
        problems.append(f"{layout.relative(kind, msg_id)}: {exc}")
        return None
    return data, st.st_mtime


def read_message(
    layout: Layout, msg_id: int, *, now: float, lifetime: int, route: Route = remote_unless_known
) -> QueuedMessage | None:
    """Message ``msg_id`` as its files say now; None when it has neither info nor todo file."""
    problems: list[str] = []
    mess = lstat_regular(layout.path("mess", msg_id))
    size = None if mess is None else mess.st_size
    bouncing = lstat_regular(layout.path("bounce", msg_id)) is not None
    info = _read(layout, "info", msg_id, problems)
    if info is None:
        return _unprocessed(layout, msg_id, size, bouncing, route, problems)
    try:
        sender = records.parse_info(info[0])
    except records.Malformed as exc:
        problems.append(f"{layout.relative('info', msg_id)}: {exc}")
        sender = ""
    birth = info[1]
    recipients: list[QueuedRecipient] = []
    retries: dict[str, schedule.Retry] = {}
    for channel in CHANNELS:
        found = _read(layout, channel, msg_id, problems)
        if found is None:
            continue
        try:
            listed = records.parse_channel(found[0])
        except records.Malformed as exc:
            problems.append(f"{layout.relative(channel, msg_id)}: {exc}")
            continue
        recipients += [QueuedRecipient(r.address, channel, r.done) for r in listed]
        if any(not r.done for r in listed):
            retries[channel] = schedule.next_retry(birth, channel, found[1], now)
    return QueuedMessage(
        id=msg_id,
        arrived=int(birth),
        size=size,
        sender=sender,
        bouncing=bouncing,
        preprocessed=True,
        recipients=tuple(recipients),
        retries=retries,
        expires=int(schedule.expires(birth, lifetime)),
        problems=tuple(problems),
    )


def _unprocessed(
    layout: Layout, msg_id: int, size: int | None, bouncing: bool, route: Route, problems: list[str]
) -> QueuedMessage | None:
    todo = _read(layout, "todo", msg_id, problems)
    if todo is None:
        return None
    try:
        envelope = records.parse_envelope(todo[0])
    except records.Malformed as exc:
        problems.append(f"{layout.relative('todo', msg_id)}: {exc}")
        envelope = records.Envelope(None, None, "", ())
    return QueuedMessage(
        id=msg_id,
        arrived=int(todo[1]),
        size=size,
        sender=envelope.sender,
        bouncing=bouncing,
        preprocessed=False,
        recipients=tuple(QueuedRecipient(a, route(a), False) for a in envelope.recipients),
        problems=tuple(problems),
    )
