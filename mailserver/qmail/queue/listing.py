"""Browsing the queue: filter, sort and page every message, the way an admin searches it.

Selection runs on the cached index (:mod:`.index`): numbers, births and senders from info
files, sizes of mess files and recipients are read once per directory listing, and only what a
filter or sort needs is read at all (newest first needs the births, a size filter the sizes).
The page's rows are then read fresh from their files (:func:`.message.read_message`), so what
is shown is what the queue holds at that moment.

Address patterns, for sender and recipient alike, ignore case: ``alice@example.com`` is that
address, ``@example.com`` any address at that domain, ``*`` matches anything
(``*@*.example.com``), and ``<>`` is the null sender of bounces (``#@[]`` qmail's double
bounces). ``domain`` selects messages with a recipient at that domain.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from . import index as cached
from .layout import CHANNELS, Layout
from .message import QueuedMessage, Route, read_message, remote_unless_known
from .records import Recipient

SORTS: Final = ("arrived", "size", "sender", "id", "recipients")
SELECTS: Final = ("local", "remote", "todo", "bouncing")


@dataclass(frozen=True)
class Pattern:
    """An address pattern, matched without a regular expression: a pattern of many ``*`` must not
    backtrack its way through 100,000 addresses (each ``*`` part is found once, leftmost)."""

    text: str
    parts: tuple[str, ...] = field(repr=False, compare=False)  # lower case, split at "*"

    @classmethod
    def of(cls, text: str) -> Pattern:
        """``text`` as a pattern; the caller has checked it (:mod:`.request`)."""
        if text == "<>":
            return cls(text, ("",))
        if text.startswith("@") and "*" not in text:
            return cls(text, ("", text.lower()))
        return cls(text, tuple(text.lower().split("*")))

    def matches(self, address: str) -> bool:
        value = address.lower()
        if len(self.parts) == 1:
            return value == self.parts[0]
        first, *middle, last = self.parts
        if not value.startswith(first) or not value.endswith(last) or len(value) < len(first) + len(last):
            return False
        position, end = len(first), len(value) - len(last)
        for part in middle:
            found = value.find(part, position, end)
            if found < 0:
                return False
            position = found + len(part)
        return True


@dataclass(frozen=True)
class Filters:
    sender: Pattern | None = None
    recipient: Pattern | None = None
    domain: str | None = None  # lower case
    min_age: float | None = None  # seconds since arrival
    max_age: float | None = None
    min_size: int | None = None
    max_size: int | None = None
    select: str | None = None  # one of SELECTS: messages in that part of the queue

    @property
    def empty(self) -> bool:
        return self == Filters()

    def describe(self) -> str:
        parts = []
        if self.select:
            parts.append(f"in {self.select}" if self.select != "bouncing" else "bouncing")
        for name in ("sender", "recipient"):
            pattern = getattr(self, name)
            if pattern is not None:
                parts.append(f"{name} {pattern.text}")
        if self.domain:
            parts.append(f"to domain {self.domain}")
        for name, unit in (("min_age", "s old or more"), ("max_age", "s old at most")):
            if getattr(self, name) is not None:
                parts.append(f"{getattr(self, name):g} {unit}")
        if self.min_size is not None:
            parts.append(f"{self.min_size} bytes or more")
        if self.max_size is not None:
            parts.append(f"{self.max_size} bytes at most")
        return ", ".join(parts) or "every message"


@dataclass(frozen=True, slots=True)
class Entry:
    """What the index knows of one message: enough to select and sort it."""

    id: int
    arrived: float
    preprocessed: bool


class Selection:
    """The messages of one queue as the index sees them now."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.index = cached.index_for(layout)
        self.index.refresh()

    def entries(self) -> list[Entry]:
        entries: list[Entry] = self.index.memo("entries", self._entries)
        return entries

    def _entries(self) -> list[Entry]:
        births = self.births()
        entries = [Entry(msg_id, birth, True) for msg_id, birth in births.items()]
        todo_only = self.index.ids("todo") - births.keys()
        if todo_only:
            envelopes = self.index.column("todo", "envelope", cached.envelope_loader)
            entries += [Entry(i, envelopes[i][0], False) for i in todo_only if i in envelopes]
        return entries

    def births(self) -> dict[int, float]:
        """Every preprocessed message's birth: from the info files when they were read already,
        else from one lstat each (newest first needs no more)."""
        births: dict[int, float] = {}
        for shard in self.index.shards("info"):
            read = shard.columns.get("info")
            if read is not None:
                births.update((msg_id, birth) for msg_id, (birth, _) in read.items())
            else:
                births.update(self.index.shard_column(shard, "birth", cached.birth_loader))
        return births

    def senders(self) -> dict[int, str]:
        """Every message's sender (the envelope's, for one not yet preprocessed)."""
        senders: dict[int, str] = self.index.memo("senders", self._senders)
        return senders

    def _senders(self) -> dict[int, str]:
        info = self.index.column("info", "info", cached.info_loader)
        found = {msg_id: sender for msg_id, (_, sender) in info.items() if sender is not None}
        envelopes = self.index.column("todo", "envelope", cached.envelope_loader)
        for msg_id, (_, envelope) in envelopes.items():
            found.setdefault(msg_id, envelope.sender)
        return found

    def sizes(self) -> dict[int, int]:
        sizes: dict[int, int] = self.index.memo(
            "sizes", lambda: self.index.column("mess", "size", cached.size_loader)
        )
        return sizes

    def recipients(self) -> dict[int, list[str]]:
        """Every message's recipient addresses (done ones too: qmail-qread lists them)."""
        found: dict[int, list[str]] = self.index.memo("recipients", self._recipients)
        return found

    def _recipients(self) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for channel in CHANNELS:
            listed: dict[int, tuple[Recipient, ...]] = self.index.column(
                channel, "recipients", cached.recipients_loader
            )
            for msg_id, recipients in listed.items():
                found.setdefault(msg_id, []).extend(r.address for r in recipients)
        envelopes = self.index.column("todo", "envelope", cached.envelope_loader)
        for msg_id, (_, envelope) in envelopes.items():
            found.setdefault(msg_id, list(envelope.recipients))
        return found

    def matching(self, filters: Filters, now: float) -> list[Entry]:
        entries: Iterable[Entry] = self.entries()
        if filters.select in CHANNELS or filters.select == "todo":
            part = self.index.ids(filters.select)
            entries = (e for e in entries if e.id in part)
        elif filters.select == "bouncing":
            part = self.index.ids("bounce")
            entries = (e for e in entries if e.id in part)
        if filters.sender is not None:
            sender, senders = filters.sender, self.senders()
            entries = (e for e in entries if e.id in senders and sender.matches(senders[e.id]))
        if filters.min_age is not None:
            newest = now - filters.min_age
            entries = (e for e in entries if e.arrived <= newest)
        if filters.max_age is not None:
            oldest = now - filters.max_age
            entries = (e for e in entries if e.arrived >= oldest)
        if filters.min_size is not None or filters.max_size is not None:
            entries = self._by_size(entries, filters.min_size, filters.max_size)
        if filters.recipient is not None or filters.domain:
            entries = self._by_recipient(entries, filters.recipient, filters.domain)
        return list(entries)

    def _by_size(self, entries: Iterable[Entry], low: int | None, high: int | None) -> Iterator[Entry]:
        sizes = self.sizes()
        for entry in entries:
            size = sizes.get(entry.id)
            if size is not None and (low is None or size >= low) and (high is None or size <= high):
                yield entry

    def _by_recipient(
        self, entries: Iterable[Entry], pattern: Pattern | None, domain: str | None
    ) -> Iterator[Entry]:
        recipients = self.recipients()
        suffix = f"@{domain}" if domain else None
        for entry in entries:
            addresses = recipients.get(entry.id, ())
            if pattern is not None and not any(pattern.matches(a) for a in addresses):
                continue
            if suffix is not None and not any(a.lower().endswith(suffix) for a in addresses):
                continue
            yield entry

    def ordered(self, entries: list[Entry], sort: str, descending: bool, count: int | None) -> list[Entry]:
        """``entries`` sorted (ties broken by number), only the first ``count`` when given."""
        key: Any
        if sort == "arrived":
            key = lambda e: (e.arrived, e.id)  # noqa: E731
        elif sort == "id":
            key = lambda e: e.id  # noqa: E731
        elif sort == "sender":
            senders = self.senders()
            key = lambda e: (senders.get(e.id, "").lower(), e.id)  # noqa: E731
        elif sort == "size":
            sizes = self.sizes()
            key = lambda e: (sizes.get(e.id, -1), e.id)  # noqa: E731
        elif sort == "recipients":
            recipients = self.recipients()
            key = lambda e: (len(recipients.get(e.id, ())), e.id)  # noqa: E731
        else:
            raise ValueError(f"unknown sort {sort!r}")
        if count is not None and count < len(entries):
            pick = heapq.nlargest if descending else heapq.nsmallest
            return pick(count, entries, key=key)
        return sorted(entries, key=key, reverse=descending)


@dataclass(frozen=True)
class Page:
    total: int  # messages matching the filters
    offset: int
    messages: list[QueuedMessage]


def page(
    layout: Layout,
    filters: Filters,
    *,
    now: float,
    lifetime: int,
    sort: str = "arrived",
    descending: bool = True,
    offset: int = 0,
    limit: int | None = 50,
    route: Route = remote_unless_known,
) -> Page:
    """One page of the matching messages, each read fresh from its files (gone ones skipped)."""
    selection = Selection(layout)
    matching = selection.matching(filters, now)
    wanted = selection.ordered(matching, sort, descending, None if limit is None else offset + limit)
    wanted = wanted[offset:] if limit is None else wanted[offset : offset + limit]
    rows = [read_message(layout, e.id, now=now, lifetime=lifetime, route=route) for e in wanted]
    return Page(len(matching), offset, [row for row in rows if row is not None])


def matching_ids(layout: Layout, filters: Filters, now: float) -> list[int]:
    """The numbers of every message matching ``filters`` now, lowest first."""
    return sorted(e.id for e in Selection(layout).matching(filters, now))
