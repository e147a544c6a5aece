"""What the operators print: show-* rows (one per delivery attempt) and top-* tables.

Counting rules, the same for the command line and the web page:

* success / deferral / failure count ``delivery D:`` result lines (attempts), so a message
  deferred twice and then delivered adds 2 deferrals and 1 success for its recipient.
* a sender's ``messages`` and ``bytes`` count only messages that arrived in the selection
  (their ``new msg`` line is in it); retries of older mail add attempts, not messages.
* a sender's ``bounces`` counts ``bounce msg`` lines: bounce notices qmail sent back for its mail.
  A recipient's ``bounces`` counts bounce messages (sender ``<>`` or ``#@[]``) addressed to it.
* the -local / -remote flavours keep only attempts on that channel, and only messages with one;
  a message's bounces count for a flavour only when one of its attempts on that channel failed
  (a bounce for a remote failure is not a -local bounce). A message that failed on both channels
  counts in both, so the two flavours can add up to more than the total.
* ``last_reason`` (top-deferrals, top-failures) is the reply of the deferral or failure logged
  last; top-user-stats and top-domain-stats leave out a row that would be all zeros (an address
  only seen in a line that counts nothing, such as an ``end msg``).

The delivery index (deliveries/) computes these same tables from its rows; tests hold them equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from .messages import Attempt, Joiner, Message, batches
from .records import readable
from .tai64n import label_unix

if TYPE_CHECKING:
    from .domains import Domains

NULL_SENDERS = frozenset(("", "#@[]"))
RESULTS = ("success", "deferral", "failure")
# Per-address counters, sender side then recipient side.
SENT, BYTES, S_OK, S_DEF, S_FAIL, BOUNCED = range(6)
R_MSGS, R_OK, R_DEF, R_FAIL, R_BOUNCES = range(5)
_S_INDEX = {"success": S_OK, "deferral": S_DEF, "failure": S_FAIL}
_R_INDEX = {"success": R_OK, "deferral": R_DEF, "failure": R_FAIL}


class ShowRow(NamedTuple):
    when: float
    result: str
    channel: str
    recipient: str
    sender: str | None
    size: int
    msg: int | None
    text: str


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str | int]]
    sort_column: str

    def sort(self, column: str | None = None, *, reverse: bool = False) -> Table:
        """Sort by any column (unique prefix of its name): numbers high first, text A-Z."""
        name = self.column(column) if column else self.sort_column
        i = self.columns.index(name)
        numeric = all(isinstance(row[i], int) for row in self.rows)
        # Ties go by the first column, then the others (two rows share a first column only in
        # tables keyed by two columns, such as the causes: domain and cause).
        if numeric:
            self.rows.sort(key=lambda row: (-int(row[i]), *map(str, row)), reverse=reverse)
        else:
            self.rows.sort(key=lambda row: (str(row[i]), *map(str, row)), reverse=reverse)
        self.sort_column = name
        return self

    def column(self, prefix: str) -> str:
        matches = [c for c in self.columns if c == prefix] or [
            c for c in self.columns if c.startswith(prefix)
        ]
        if len(matches) != 1:
            raise ValueError(f"no single column matches {prefix!r}; columns: {', '.join(self.columns)}")
        return matches[0]


class Stats:
    """One pass over messages; every top-* table is a view of these counters.

    ``sides`` names the counters to keep ("senders", "recipients"): top-senders over a gigabyte
    of log should not pay for per-recipient bookkeeping it never prints.
    """

    def __init__(
        self,
        channel: str | None = None,
        domains: Domains | None = None,
        sides: Iterable[str] = ("senders", "recipients"),
    ) -> None:
        self.channel = channel
        self.original = domains.original if domains is not None and domains.virtual else None
        self.senders: dict[str, list[int]] = {}
        self.recipients: dict[str, list[int]] = {}
        # Latest reason per (address, result), for mail from the address and mail to it: the
        # text of the result logged last.
        self.last_sent: dict[tuple[str, str], str] = {}
        self.last_rcvd: dict[tuple[str, str], str] = {}
        self._sent_at: dict[tuple[str, str], int] = {}
        self._rcvd_at: dict[tuple[str, str], int] = {}
        wanted = set(sides)
        self._senders, self._recipients = "senders" in wanted, "recipients" in wanted

    def add(self, message: Message) -> None:
        attempts = message.attempts
        if self.channel is not None:
            attempts = [a for a in attempts if a.channel == self.channel]
            if not attempts:
                return
        if self._senders:
            self._add_sender(message, attempts)
        if self._recipients:
            self._add_recipients(message, attempts)

    def _add_sender(self, message: Message, attempts: list[Attempt]) -> None:
        sender = "?" if message.sender is None else (message.sender.lower() or "<>")
        out = self.senders.get(sender)
        if out is None:
            out = self.senders[sender] = [0] * 6
        if message.arrived:
            out[SENT] += 1
            out[BYTES] += message.size
        if message.bounces and (self.channel is None or any(a.result == "failure" for a in attempts)):
            out[BOUNCED] += len(message.bounces)
        for attempt in attempts:
            result = attempt.result
            if result is not None:
                out[_S_INDEX[result]] += 1
                if result != "success" and attempt.order > self._sent_at.get((sender, result), -1):
                    self._sent_at[(sender, result)] = attempt.order
                    self.last_sent[(sender, result)] = attempt.text

    def _add_recipients(self, message: Message, attempts: list[Attempt]) -> None:
        is_bounce = message.sender in NULL_SENDERS
        seen: set[str] = set()
        recipients, original = self.recipients, self.original
        for attempt in attempts:
            rcpt = attempt.recipient.lower()
            if original is not None:
                rcpt = original(rcpt)
            into = recipients.get(rcpt)
            if into is None:
                into = recipients[rcpt] = [0] * 5
            if rcpt not in seen:  # messages (and bounces) count once however often retried
                seen.add(rcpt)
                into[R_MSGS] += 1
                into[R_BOUNCES] += is_bounce
            result = attempt.result
            if result is not None:
                into[_R_INDEX[result]] += 1
                if result != "success" and attempt.order > self._rcvd_at.get((rcpt, result), -1):
                    self._rcvd_at[(rcpt, result)] = attempt.order
                    self.last_rcvd[(rcpt, result)] = attempt.text

    def add_all(self, messages: Iterable[Message]) -> Stats:
        add = self.add
        for message in messages:
            add(message)
        return self


def sides_for(name: str, by: str = "recipient") -> tuple[str, ...]:
    """The counters a top-* report reads."""
    if name == "top-senders" or (name in ("top-deferrals", "top-failures") and by == "sender"):
        return ("senders",)
    if name in ("top-recipients", "top-deferrals", "top-failures"):
        return ("recipients",)
    return ("senders", "recipients")


def _domain(address: str) -> str:
    return address.rpartition("@")[2] if "@" in address else address


def _merge(rows: dict[str, list[int]], per_domain: bool) -> dict[str, list[int]]:
    """Counters per address, or summed per domain (``<>`` and ``?`` stay rows of their own)."""
    if not per_domain:
        return rows
    merged: dict[str, list[int]] = {}
    for address, counts in rows.items():
        into = merged.setdefault(_domain(address), [0] * len(counts))
        for i, n in enumerate(counts):
            into[i] += n
    return merged


def table(name: str, stats: Stats, *, by: str = "recipient") -> Table:
    """The table for a top-* report name (without its -local / -remote suffix)."""
    s, r = stats.senders, stats.recipients
    if name == "top-senders":
        rows: list[list[str | int]] = [[k, *v] for k, v in s.items() if v[SENT] or any(v[S_OK:])]
        return Table(
            ["sender", "messages", "bytes", "success", "deferral", "failure", "bounces"], rows, "messages"
        )
    if name == "top-recipients":
        rows = [[k, *v] for k, v in r.items()]
        return Table(["recipient", "messages", "success", "deferral", "failure", "bounces"], rows, "success")
    if name in ("top-deferrals", "top-failures"):
        result = "deferral" if name == "top-deferrals" else "failure"
        if by == "sender":
            rows = [
                [k, v[_S_INDEX[result]], v[SENT], stats.last_sent.get((k, result), "")] for k, v in s.items()
            ]
        else:
            rows = [
                [k, v[_R_INDEX[result]], v[R_MSGS], stats.last_rcvd.get((k, result), "")]
                for k, v in r.items()
            ]
        rows = [[*row[:3], readable(str(row[3]))] for row in rows if row[1]]
        return Table([by, result + "s", "messages", "last_reason"], rows, result + "s")
    if name in ("top-user-stats", "top-domain-stats"):
        per_domain = name == "top-domain-stats"
        out, into = _merge(s, per_domain), _merge(r, per_domain)
        rows = []
        for key in sorted(set(out) | set(into)):
            o, i = out.get(key, [0] * 6), into.get(key, [0] * 5)
            if not any(o) and not any(i):
                continue  # only seen in a line that counts nothing (an `end msg`, say)
            rows.append(
                [
                    key,
                    o[SENT],
                    o[BYTES],
                    o[S_OK],
                    o[S_DEF],
                    o[S_FAIL],
                    o[BOUNCED],
                    i[R_OK],
                    i[R_DEF],
                    i[R_FAIL],
                ]
            )
        columns = [
            "domain" if per_domain else "user",
            "sent",
            "bytes",
            "sent_ok",
            "sent_deferred",
            "sent_failed",
            "bounced",
            "received",
            "rcvd_deferred",
            "rcvd_failed",
        ]
        return Table(columns, rows, "sent")
    raise ValueError(f"unknown report {name!r}")


TOP_REPORTS = (
    "top-recipients",
    "top-senders",
    "top-deferrals",
    "top-failures",
    "top-user-stats",
    "top-domain-stats",
)


def show(chunks: Iterable[bytes], results: Iterable[str] = RESULTS) -> Iterator[ShowRow]:
    """One row per delivery result in the input, in input order (streams: nothing is kept)."""
    wanted = frozenset(results)
    joiner = Joiner()
    found: list[tuple[Message | None, Attempt]] = []
    for lines in batches(chunks):
        joiner.feed_block(lines, results=found)
        for message, a in found:
            if a.result in wanted:
                yield ShowRow(
                    label_unix(a.finished),
                    a.result or "",
                    a.channel or "?",
                    a.recipient or "?",
                    None if message is None else message.sender,
                    0 if message is None else message.size,
                    None if message is None else message.id,
                    a.text,
                )
        found.clear()
