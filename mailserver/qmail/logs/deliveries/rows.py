"""qmail-send's lines joined into rows: the joiner of messages.py, writing rows instead of objects.

The pairing rules are those of :class:`~mailserver.qmail.logs.messages.Joiner`, line for line
(the tests compare every report of the two). The line dispatch is written out here again rather
than shared: both loops keep the run-tracking state in locals and differ in what every branch
emits (objects there, rows here), so one shared loop would need a callback per branch per line
in the build's inner loop. A change to the rules is made in both; the equality tests fail until
it is. A result pairs with its ``starting delivery`` by
(qmail-send run, delivery number), the run of a line found from its stamp; an open ``new msg`` …
``end msg`` span owns its id; a damaged line is skipped. What differs is the output: each finished
attempt, message, bounce and end becomes one text row (fields split by \\x1f, ``\\N`` for none)
that DuckDB loads in bulk, and nothing is kept for a message once its row is written but what
later rows of it repeat (its key and sender) and the stamps of its last attempt to each
recipient (a retry's row carries them: the reports count a recipient's messages from them).

Rows (labels are the 24 hex digits of the stamp; ``seq`` is file number << 36 | the result's
count in its file, so results sort in log order):

* attempts: mkey, msg, number, channel, rcpt, started, prev_started, prev_finished, result
  (s/d/f), text, finished, seq, sender, size, uid, info (label of the ``info msg`` line),
  info_file; a result whose start is not in the log has no mkey, msg, channel or recipient;
  prev_*: the stamps of the attempt before it of the same message to the same recipient (as
  the reports count recipients: lower-cased), when there was one;
* messages: mkey, msg, arrived (``new msg`` label), qp, sender, size, uid, info, info_file;
  written at the message's ``info msg`` line, or at its end when it has none;
* bounces: mkey, msg, label, qp;   ends: mkey, msg, label, kind (e end, t triple bounce,
  l lost: its id was taken by a ``new msg`` before its ``end msg``).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Mapping
from typing import Any

SEP = b"\x1f"
NULL = b"\\N"
NO_INFO = b"\\N\x1f0\x1f-1\x1f\\N\x1f\\N"  # sender, size, uid, info label, info file
NO_PREV = b"\\N\x1f\\N"  # prev_started, prev_finished of a message's first attempt to a recipient
SEQ_SHIFT = 36  # byte offsets below 64 GB; file numbers above

# An open message: [key bytes "mkey\x1fmsg", mkey, id, arrived label, info part, qp, written, seam,
# its recipients' last attempts {recipient lower-cased: [started label, finished label or NULL]}]
KEY, MKEY, ID, NEW, INFO, QP, WRITTEN, SEAM, PAIRS = range(9)
# A start waiting for its result: (message, row part from ``number`` to ``prev_finished``, the
# [started, finished] its result completes).
Pending = tuple[list[object], bytes, list[bytes]]
STATE_VERSION = 2  # of RowJoiner.to_json's data: another version is not loaded (the index is built again)


def fold(rcpt: bytes) -> bytes:
    """A recipient lower-cased as the reports compare them (str.lower of the logged text; lines
    reach the joiner as UTF-8), for one that is not ASCII."""
    return rcpt.decode("utf-8", "surrogateescape").lower().encode("utf-8", "surrogateescape")


def pair_key(start: bytes) -> bytes:
    """The PAIRS key of a start's part of a row (number, channel, rcpt, started, prev_*)."""
    rcpt = start.split(SEP)[2]
    return rcpt.lower() if rcpt.isascii() else fold(rcpt)


def orphan(number: int, tail: bytes) -> bytes:
    """The attempts row of a result whose start is not in the log."""
    return b"\\N\x1f\\N\x1f%d\x1f\x1f\x1f\\N\x1f%s\x1f%s\x1f%s" % (number, NO_PREV, tail, NO_INFO)


class RowJoiner:
    """Feed a file's lines in log order (:meth:`feed`); rows collect in the four lists.

    ``seam`` marks a joiner that starts in the middle of the log (the parallel build): a message
    it first sees without its ``new msg`` may be one that another joiner holds open, so such
    messages are not written but kept in :attr:`seam_messages`, and results whose start it has
    not seen, in the first two qmail-send runs it sees, are kept in :attr:`seam_results`.
    """

    def __init__(self, first_key: int = 0, *, seam: bool = False) -> None:
        self.open: dict[int, list[object]] = {}
        self.pending: dict[tuple[int, int], Pending] = {}
        self.exits: list[bytes] = []
        self.latest = b""
        self.last_start = 0
        self.next_key = first_key
        self.file_no = 0
        self.attempts: list[bytes] = []
        self.messages: list[bytes] = []
        self.bounces: list[bytes] = []
        self.ends: list[bytes] = []
        self.seam = seam
        self.closed: set[int] = set()  # ids this joiner has seen end (seam joiners only)
        self.first_new: dict[int, bytes] = {}  # id -> label of its first `new msg` here (seam)
        self.seam_messages: dict[int, list[object]] = {}  # id -> message first seen without `new msg`
        self.seam_results: list[tuple[int, int, bytes]] = []  # (run, number, row tail)
        # (id, seq, start) of results of seam messages' first attempts to a recipient here: their
        # prev_* may be in the share before (build.stitch)
        self.seam_firsts: list[tuple[int, int, bytes]] = []
        self.end_only: set[int] = set()  # keys of messages first seen at their `end msg` (seam)
        self.seam_starts: set[tuple[int, int]] = set()  # (run, number) started in the first two runs
        self.first_start: int | None = None  # number of the first in-order start (seam check)
        self.exits_at_first_start = 0
        self.lines = 0
        self.results = 0  # results read in file counted_file: their order (seq) within it
        self.counted_file = -1

    def _message(self, msg_id: int, label: bytes = b"") -> list[object]:
        key = self.next_key
        self.next_key += 1
        return [b"%d\x1f%d" % (key, msg_id), key, msg_id, label, NO_INFO, NULL, False, False, {}]

    def _placeholder(self, msg_id: int) -> list[object]:
        """A message referenced before its ``new msg`` (it arrived before the input)."""
        m = self.open[msg_id] = self._message(msg_id)
        if self.seam and msg_id not in self.closed and msg_id not in self.first_new:
            m[SEAM] = True
            self.seam_messages[msg_id] = m
        return m

    def write_message(self, m: list[object]) -> None:
        if not m[WRITTEN] and not m[SEAM]:
            m[WRITTEN] = True
            new = m[NEW] or NULL
            self.messages.append(SEP.join((m[KEY], new, m[QP], m[INFO])))  # type: ignore[arg-type]

    def feed(self, lines: list[bytes]) -> None:
        """Lines (without their newlines) of file :attr:`file_no`, in log order."""
        open_, pending, exits = self.open, self.pending, self.exits
        latest, last_start = self.latest, self.last_start
        last_exit, runs = (exits[-1], len(exits)) if exits else (b"", 0)
        attempts, bounces, ends = self.attempts, self.bounces, self.ends
        if self.file_no != self.counted_file:  # results are numbered within their file
            self.counted_file, self.results = self.file_no, 0
        seam, seq = self.seam, (self.file_no << SEQ_SHIFT) | self.results
        messages, get, key = self.messages, open_.get, self.next_key
        file_no = b"%d" % self.file_no
        for line in lines:
            try:
                if line[0] != 64:
                    continue
                c = line[26]
                if c == 115 and line[29] != 114:  # status
                    if line[34] == 101 and line[26:41] == b"status: exiting":
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
                    colon = line.find(b":", 44)
                    number = int(line[44:colon])
                    space = line.find(b" ", colon + 6)
                    if label >= latest:
                        if number <= last_start:  # numbering restarted without `status: exiting`
                            exits.append(latest)
                            last_exit, runs = latest, len(exits)
                        last_start, latest = number, label
                        if self.first_start is None:
                            self.first_start, self.exits_at_first_start = number, len(exits)
                    msg_id = int(line[colon + 6 : space])
                    m = get(msg_id)
                    if m is None:
                        self.next_key = key
                        m = self._placeholder(msg_id)
                        key = self.next_key
                    if line[space + 4] == 114:
                        channel, rcpt = b"remote", line[space + 11 :]
                    else:
                        channel, rcpt = b"local", line[space + 10 :]
                    pairs = m[PAIRS]
                    rk = rcpt.lower() if rcpt.isascii() else fold(rcpt)
                    before = pairs.get(rk)  # type: ignore[attr-defined]
                    pair = pairs[rk] = [label, NULL]  # type: ignore[index]
                    prev = before[0] + SEP + before[1] if before else NO_PREV
                    start = SEP.join((line[44:colon], channel, rcpt, label, prev))
                    run = runs if label > last_exit else bisect_left(exits, label)
                    pending[(run, number)] = (m, start, pair)
                    if seam and run < 2:
                        self.seam_starts.add((run, number))
                    continue
                if label > latest:
                    latest = label
                if c == 100:  # delivery D: RESULT: TEXT
                    colon = line.find(b": ", 35)
                    number = int(line[35:colon])
                    run = runs if label > last_exit else bisect_left(exits, label)
                    found = pending.pop((run, number), None)
                    if found is None and run:  # stamped at the very moment of a restart
                        found = pending.pop((run - 1, number), None)
                    r = line[colon + 2]
                    if r == 115:
                        result, text = b"s", line[colon + 11 :]
                    elif r == 102:
                        result, text = b"f", line[colon + 11 :]
                    elif line[colon + 2 : colon + 11] == b"deferral:":
                        result, text = b"d", line[colon + 12 :]
                    else:  # "report mangled, will defer"
                        result, text = b"d", line[colon + 2 :]
                    seq += 1
                    tail = SEP.join((result, text, label, b"%d" % seq))
                    if found is None:
                        if seam and run < 2:
                            self.seam_results.append((run, number, tail))
                        else:
                            attempts.append(orphan(number, tail))
                    else:
                        m, start, pair = found
                        pair[1] = label
                        if seam and m[SEAM] and start.endswith(NO_PREV):
                            self.seam_firsts.append((m[ID], seq, start))  # type: ignore[arg-type]
                        attempts.append(SEP.join((m[KEY], start, tail, m[INFO])))  # type: ignore[arg-type]
                elif c == 110:  # new msg N
                    msg_id = int(line[34:])
                    old = open_.get(msg_id)
                    if old is not None:  # its `end msg` never came: the joiner drops it here
                        self.write_message(old)
                        ends.append(b"%s\x1f%s\x1fl" % (old[KEY], label))
                    elif seam and msg_id not in self.closed and msg_id not in self.first_new:
                        self.first_new[msg_id] = label
                    open_[msg_id] = [
                        b"%d\x1f" % key + line[34:],
                        key,
                        msg_id,
                        label,
                        NO_INFO,
                        NULL,
                        False,
                        False,
                        {},
                    ]
                    key += 1
                elif c == 105:  # info msg N: bytes B from <S> qp Q uid U
                    colon = line.find(b":", 35)
                    msg_id = int(line[35:colon])
                    m = get(msg_id)
                    if m is None:
                        self.next_key = key
                        m = self._placeholder(msg_id)
                        key = self.next_key
                    space = line.find(b" ", colon + 8)
                    close = line.rfind(b"> qp ")
                    size = line[colon + 8 : space]
                    tail_ = line[close + 5 :].split(b" ")
                    qp, uid = tail_[0], tail_[2]
                    int(size), int(qp), int(uid)  # the joiner skips the line when one is not a number
                    m[INFO] = info = SEP.join((line[space + 7 : close], size, uid, label, file_no))
                    m[QP] = qp
                    if not m[WRITTEN] and not m[SEAM]:
                        m[WRITTEN] = True
                        messages.append(SEP.join((m[KEY], m[NEW] or NULL, qp, info)))  # type: ignore[arg-type]
                elif c == 101:  # end msg N
                    msg_id = int(line[34:])
                    m = open_.pop(msg_id, None)
                    if m is None:  # the joiner makes an empty message of it: nothing to count
                        self.next_key = key
                        m = self._placeholder(msg_id)
                        key = self.next_key
                        del open_[msg_id]
                        if m[SEAM]:  # unless the share before this one holds it open
                            self.end_only.add(m[MKEY])  # type: ignore[arg-type]
                        else:
                            m[WRITTEN] = True
                    elif not m[WRITTEN] and not m[SEAM]:
                        m[WRITTEN] = True
                        messages.append(SEP.join((m[KEY], m[NEW] or NULL, m[QP], m[INFO])))  # type: ignore[arg-type]
                    if seam:
                        self.closed.add(msg_id)
                    ends.append(m[KEY] + SEP + label + b"\x1fe")  # type: ignore[operator]
                elif c == 98:  # bounce msg N qp Q
                    parts = line[37:].split(b" ")
                    msg_id = int(parts[0])
                    m = get(msg_id)
                    if m is None:
                        self.next_key = key
                        m = self._placeholder(msg_id)
                        key = self.next_key
                    bounces.append(b"%s\x1f%s\x1f%d" % (m[KEY], label, int(parts[2])))
                elif c == 116 and line[26:59] == b"triple bounce: discarding bounce/":
                    msg_id = int(line[59:])
                    m = get(msg_id)
                    if m is None:
                        self.next_key = key
                        m = self._placeholder(msg_id)
                        key = self.next_key
                    ends.append(b"%s\x1f%s\x1ft" % (m[KEY], label))
            except (IndexError, ValueError):  # a damaged line: skip it, keep going
                pass
        self.latest, self.last_start, self.next_key = latest, last_start, key
        self.lines += len(lines)
        self.results = seq & ((1 << SEQ_SHIFT) - 1)

    def running(self) -> list[bytes]:
        """Rows of the attempts under way (started, no result yet), as attempts rows."""
        return [
            SEP.join((m[KEY], start, b"\\N\x1f\\N\x1f\\N\x1f\\N", m[INFO]))  # type: ignore[arg-type]
            for m, start, _ in self.pending.values()
        ]

    def unwritten(self) -> list[bytes]:
        """Rows of open messages not written yet (no ``info msg`` so far), as messages rows."""
        return [
            SEP.join((m[KEY], m[NEW] or NULL, m[QP], m[INFO]))  # type: ignore[arg-type]
            for m in self.open.values()
            if not m[WRITTEN] and not m[SEAM]
        ]

    def to_json(self) -> dict[str, Any]:
        """The joiner as plain data for json.dumps (see joinstate.py)."""
        from .joinstate import dump

        return dump(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RowJoiner:
        """The joiner :meth:`to_json` gave; KeyError, TypeError or ValueError when ``data`` is not one."""
        from .joinstate import load

        return load(cls(), data)

    def take(self) -> tuple[list[bytes], list[bytes], list[bytes], list[bytes]]:
        """The rows collected so far (attempts, messages, bounces, ends), leaving the lists empty."""
        taken = (self.attempts, self.messages, self.bounces, self.ends)
        self.attempts, self.messages, self.bounces, self.ends = [], [], [], []
        return taken
