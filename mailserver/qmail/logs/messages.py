"""Join qmail-send's lines into messages: arrival, sender, each delivery attempt, bounces, end.

Two facts from the real logs shape this module:

* ``delivery D`` numbers restart at 1 whenever qmail-send restarts, so a result is paired with
  its ``starting delivery D`` by (run, D). A run ends at ``status: exiting``. A crash leaves no
  such line, so an in-order ``starting delivery`` whose number does not grow also starts a run.
  The run of a line is found from its stamp, not from where it sits in the stream: the x-filters
  hand on a message's held-back lines late, and those must still pair with their own run.
* Message ids are inodes and are reused, but never while the message is in the queue, so an
  open ``new msg`` ... ``end msg`` span owns its id. A message can stay queued across restarts.

A message whose ``info msg`` is present but ``new msg`` is not arrived before the selection
(the selectors add such headers as context); it is reported, but not counted as received.

:meth:`Joiner.feed_block` is the hot path of every operator (it must keep up with 50 MB/s of
log), so it reads fixed byte offsets instead of calling records.parse; tests keep the two in step.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .records import Kind, readable
from .tai64n import to_unix

OTHER, STATUS, EXITING, NEW, INFO, START, RESULT, BOUNCE, END, TRIPLE, ALERT, WARNING = (int(k) for k in Kind)
_CHANNELS = {b"local": "local", b"remote": "remote"}


@dataclass(slots=True, eq=False)
class Attempt:
    """One ``starting delivery`` and, once logged, its ``delivery`` result."""

    number: int
    channel: str  # "local" / "remote" ("" when the start is not in the input)
    recipient: str
    started: bytes  # stamp label (24 hex)
    result: str | None = None  # "success", "deferral", "failure"; None while in progress
    text: str = ""  # escaped as logged
    finished: bytes = b""
    order: int = 0  # the result's place among the results read (which of two was logged last)


@dataclass(slots=True, eq=False)
class Message:
    id: int
    arrived: bytes = b""  # stamp of `new msg`; b"" when it arrived before the input
    sender: str | None = None  # "" for <>; None when no `info msg` is in the input
    size: int = 0
    qp: int = 0
    uid: int = -1
    attempts: list[Attempt] = field(default_factory=list)
    bounces: list[tuple[bytes, int]] = field(default_factory=list)  # (stamp, qp of the bounce)
    triple_bounce: bool = False
    ended: bytes = b""  # stamp of `end msg`; b"" while still queued at the end of the input

    @property
    def received(self) -> bool:
        return bool(self.arrived)

    @property
    def recipients(self) -> list[str]:
        return list(dict.fromkeys(a.recipient for a in self.attempts))

    def timeline(self) -> list[tuple[float, str]]:
        """(unix time, what happened) in order: for the web page's per-message view."""
        events: list[tuple[bytes, str]] = []
        if self.arrived:
            who = "<>" if self.sender == "" else self.sender or "?"
            events.append((self.arrived, f"arrived from {who}, {self.size} bytes, uid {self.uid}"))
        for a in self.attempts:
            events.append((a.started, f"delivery {a.number} started: {a.channel} {a.recipient}"))
            if a.result:
                events.append((a.finished, f"delivery {a.number} {a.result}: {readable(a.text)}"))
        events.extend((label, f"bounce sent (qp {qp})") for label, qp in self.bounces)
        if self.ended:
            events.append(
                (self.ended, "left the queue" + (" (triple bounce discarded)" if self.triple_bounce else ""))
            )
        events.sort(key=lambda event: event[0])
        return [(to_unix(label), text) for label, text in events]


class Joiner:
    """Feed raw lines (bytes, no newline) in log order; get back the message each belongs to."""

    def __init__(self) -> None:
        self.open: dict[int, Message] = {}
        self.pending: dict[tuple[int, int], tuple[Message, Attempt]] = {}
        self.exits: list[bytes] = []  # stamps where a qmail-send run ended, sorted
        self.latest = b""  # highest stamp seen: lines at or above it are "in order"
        self.last_start = 0  # highest delivery number started in the current run
        self.results = 0  # results read so far: each attempt's ``order``
        # What the last line fed was: its kind, its message, the attempt a START/RESULT touched.
        self.kind = OTHER
        self.message: Message | None = None
        self.attempt: Attempt | None = None

    def feed(self, line: bytes) -> Message | None:
        """One line; returns the message it belongs to (``kind`` and ``attempt`` say more)."""
        self.feed_block((line,))
        return self.message

    def feed_block(
        self,
        lines: Iterable[bytes],
        ended: list[Message] | None = None,
        results: list[tuple[Message | None, Attempt]] | None = None,
        trace: list[tuple[int, Message | None, Attempt | None]] | None = None,
    ) -> None:
        """Many lines at once (the fast path); messages whose ``end msg`` is read go to ``ended``,
        each delivery result (with its message; None when its start is not in the input) to ``results``,
        and with ``trace`` one (kind, message, attempt) per line, for the x-filters.

        Everything is held in local variables for the loop: attribute and method lookups per
        line would cost more than the parsing itself.
        """
        open_, pending, exits = self.open, self.pending, self.exits
        latest, last_start = self.latest, self.last_start
        last_exit, runs = (exits[-1], len(exits)) if exits else (b"", 0)
        kind, message, attempt = self.kind, self.message, self.attempt
        base = -1 if trace is None else len(trace)
        for line in lines:
            if trace is not None:  # the previous line's outcome: the body below has many exits
                trace.append((kind, message, attempt))
            message = None
            try:
                if line[0] != 64:  # "@": every multilog t line starts with its stamp
                    kind = OTHER
                    continue
                c = line[26]  # first letter after the stamp says what the line is
                if c == 115 and line[29] != 114:  # "s" but not "star(ting)": status
                    kind = STATUS
                    if line[34] == 101 and line[26:41] == b"status: exiting":
                        kind = EXITING
                        label = line[1:25]
                        if label >= latest:
                            exits.append(label)
                            latest = label
                        elif label not in exits:
                            insort(exits, label)
                        last_exit, runs, last_start = exits[-1], len(exits), 0
                    continue
                label = line[1:25]
                if c == 115:  # starting delivery D: msg N to CHANNEL ADDRESS
                    kind = START
                    colon = line.find(b":", 44)
                    number = int(line[44:colon])
                    space = line.find(b" ", colon + 6)  # after "D: msg N"
                    if label >= latest:
                        if number <= last_start:  # numbering restarted without `status: exiting`
                            exits.append(latest)
                            last_exit, runs = latest, len(exits)
                        last_start, latest = number, label
                    msg_id = int(line[colon + 6 : space])
                    message = open_.get(msg_id)
                    if message is None:  # its `new msg` lies before the input
                        message = open_[msg_id] = Message(msg_id)
                    if line[space + 4] == 114:  # " to remote ADDRESS"
                        attempt = Attempt(number, "remote", line[space + 11 :].decode("latin-1"), label)
                    else:  # " to local ADDRESS"
                        attempt = Attempt(number, "local", line[space + 10 :].decode("latin-1"), label)
                    message.attempts.append(attempt)
                    run = runs if label > last_exit else bisect_left(exits, label)
                    pending[(run, number)] = (message, attempt)
                    continue
                if label > latest:
                    latest = label
                if c == 100:  # delivery D: RESULT: TEXT
                    kind = RESULT
                    colon = line.find(b": ", 35)
                    number = int(line[35:colon])
                    run = runs if label > last_exit else bisect_left(exits, label)
                    found = pending.pop((run, number), None)
                    if found is None and run:  # stamped at the very moment of a restart
                        found = pending.pop((run - 1, number), None)
                    r = line[colon + 2]
                    if r == 115:
                        result, text = "success", line[colon + 11 :]
                    elif r == 102:
                        result, text = "failure", line[colon + 11 :]
                    elif line[colon + 2 : colon + 11] == b"deferral:":
                        result, text = "deferral", line[colon + 12 :]
                    else:  # "report mangled, will defer"
                        result, text = "deferral", line[colon + 2 :]
                    self.results += 1
                    if found is None:  # its start is not in the input
                        attempt = Attempt(
                            number, "", "", b"", result, text.decode("latin-1"), label, self.results
                        )
                    else:
                        message, attempt = found
                        attempt.result, attempt.text, attempt.finished = result, text.decode("latin-1"), label
                        attempt.order = self.results
                    if results is not None:
                        results.append((message, attempt))
                elif c == 110:  # new msg N
                    kind = NEW
                    msg_id = int(line[34:])
                    message = open_[msg_id] = Message(msg_id, arrived=label)
                elif c == 105:  # info msg N: bytes B from <S> qp Q uid U
                    kind = INFO
                    colon = line.find(b":", 35)
                    msg_id = int(line[35:colon])
                    message = open_.get(msg_id)
                    if message is None:  # context from before the selection: no `new msg`
                        message = open_[msg_id] = Message(msg_id)
                    space = line.find(b" ", colon + 8)
                    close = line.rfind(b"> qp ")
                    message.size = int(line[colon + 8 : space])
                    message.sender = line[space + 7 : close].decode("latin-1")
                    tail = line[close + 5 :].split(b" ")
                    message.qp, message.uid = int(tail[0]), int(tail[2])
                elif c == 101:  # end msg N
                    kind = END
                    msg_id = int(line[34:])
                    message = open_.pop(msg_id, None) or Message(msg_id)
                    message.ended = label
                    if ended is not None:
                        ended.append(message)
                elif c == 98:  # bounce msg N qp Q
                    kind = BOUNCE
                    parts = line[37:].split(b" ")
                    msg_id = int(parts[0])
                    message = open_.get(msg_id) or open_.setdefault(msg_id, Message(msg_id))
                    message.bounces.append((label, int(parts[2])))
                elif c == 116 and line[26:59] == b"triple bounce: discarding bounce/":
                    kind = TRIPLE
                    msg_id = int(line[59:])
                    message = open_.get(msg_id) or open_.setdefault(msg_id, Message(msg_id))
                    message.triple_bounce = True
                else:
                    kind = ALERT if c == 97 else WARNING if c == 119 else OTHER
            except (IndexError, ValueError):  # a damaged line: skip it, keep going
                kind, message = OTHER, None
        if trace is not None:
            trace.append((kind, message, attempt))
            del trace[base]  # the entry appended before the first line described no line
        self.latest, self.last_start = latest, last_start
        self.kind, self.message, self.attempt = kind, message, attempt

    def finish(self) -> list[Message]:
        """Messages still queued when the input ended (their attempts may still be in progress)."""
        left = list(self.open.values())
        self.open.clear()
        return left


def split_lines(chunks: Iterable[bytes]) -> Iterator[list[bytes]]:
    """Blocks of raw bytes -> lists of lines (a line cut by a block edge is carried over)."""
    carry = b""
    for chunk in chunks:
        lines = (carry + chunk).split(b"\n") if carry else chunk.split(b"\n")
        carry = lines.pop()
        yield lines
    if carry:
        yield [carry]


BATCH = 256


def batches(chunks: Iterable[bytes]) -> Iterator[list[bytes]]:
    """Lines in lists of a few hundred: the size to hand to :meth:`Joiner.feed_block`.

    Callers keep what a batch produced (ended messages, results) until the batch is done; with
    megabyte batches that is thousands of dead messages, and freeing them late costs a third
    of the throughput (measured) because the allocator's recently freed, cache-warm memory is
    what the next messages would have reused.
    """
    for lines in split_lines(chunks):
        if len(lines) <= BATCH:
            yield lines
        else:
            for i in range(0, len(lines), BATCH):
                yield lines[i : i + BATCH]


def messages(chunks: Iterable[bytes]) -> Iterator[Message]:
    """Every message in the input: each as soon as its ``end msg`` is read, the rest at the end."""
    joiner = Joiner()
    ended: list[Message] = []
    for lines in batches(chunks):
        joiner.feed_block(lines, ended)
        yield from ended
        ended.clear()
    yield from joiner.finish()
