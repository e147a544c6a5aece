"""A RowJoiner as plain data and back: what the follower saves to go on after a restart.

JSON, so that loading a saved state runs no code (pickle would). Bytes are kept as latin-1 text,
which maps each byte to one character and back (log lines need not be UTF-8).

An open message is held by ``open``, by each of its attempts under way and maybe by
``seam_messages``: it is saved once, in ``message_table``, and named by its place there, so that
after :func:`load` a change to it (its ``info msg``, its row written, a recipient's attempt) is
seen from every one of them again. An attempt under way also holds its recipient's entry in the
message's PAIRS, which its result completes; it is found again by the start's recipient and
stamp (an entry a later start replaced needs no completing: nothing reads it any more).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .rows import PAIRS, SEP, STATE_VERSION, RowJoiner, pair_key

# Attributes saved as they are (numbers, flags).
_PLAIN = (
    "last_start", "next_key", "file_no", "seam", "first_start", "exits_at_first_start", "lines",
    "results", "counted_file",
)  # fmt: skip


def _text(raw: bytes) -> str:
    return raw.decode("latin-1")


def _raw(text: str) -> bytes:
    if not isinstance(text, str):
        raise TypeError(f"expected text, found {type(text).__name__}")
    return text.encode("latin-1")  # a character above 255: UnicodeEncodeError, a ValueError


def _saved(m: list[object]) -> list[object]:
    out: list[object] = [_text(v) if isinstance(v, bytes) else v for v in m[:PAIRS]]
    pairs: dict[bytes, list[bytes]] = m[PAIRS]  # type: ignore[assignment]
    out.append([[_text(rk), _text(started), _text(finished)] for rk, (started, finished) in pairs.items()])
    return out


def _message_of(saved: list[Any]) -> list[object]:
    key, mkey, msg_id, new, info, qp, written, seam, pairs = saved
    return [
        _raw(key), int(mkey), int(msg_id), _raw(new), _raw(info), _raw(qp), bool(written), bool(seam),
        {_raw(rk): [_raw(started), _raw(finished)] for rk, started, finished in pairs},
    ]  # fmt: skip


def _pair_of(m: list[object], start: bytes) -> list[bytes]:
    """The PAIRS entry the attempt ``start`` (number, channel, rcpt, started, prev_*) completes."""
    started = start.split(SEP)[3]
    pairs: dict[bytes, list[bytes]] = m[PAIRS]  # type: ignore[assignment]
    pair = pairs.get(pair_key(start))
    return pair if pair is not None and pair[0] == started else [started, b"\\N"]


def dump(joiner: RowJoiner) -> dict[str, Any]:
    places: dict[int, int] = {}
    table: list[list[object]] = []

    def ref(m: list[object]) -> int:
        if id(m) not in places:
            places[id(m)] = len(table)
            table.append(_saved(m))
        return places[id(m)]

    return {
        "version": STATE_VERSION,
        "open": [[msg_id, ref(m)] for msg_id, m in joiner.open.items()],
        "pending": [[run, no, ref(m), _text(start)] for (run, no), (m, start, _) in joiner.pending.items()],
        "seam_messages": [[msg_id, ref(m)] for msg_id, m in joiner.seam_messages.items()],
        "message_table": table,
        "exits": [_text(label) for label in joiner.exits],
        "latest": _text(joiner.latest),
        "rows": [
            [_text(row) for row in rows]
            for rows in (joiner.attempts, joiner.messages, joiner.bounces, joiner.ends)
        ],
        "closed": sorted(joiner.closed),
        "first_new": [[msg_id, _text(label)] for msg_id, label in joiner.first_new.items()],
        "seam_results": [[run, no, _text(tail)] for run, no, tail in joiner.seam_results],
        "seam_firsts": [[msg_id, seq, _text(start)] for msg_id, seq, start in joiner.seam_firsts],
        "end_only": sorted(joiner.end_only),
        "seam_starts": sorted(joiner.seam_starts),
        **{name: getattr(joiner, name) for name in _PLAIN},
    }


def load(joiner: RowJoiner, data: Mapping[str, Any]) -> RowJoiner:
    """``joiner`` (a new one) set to the state :func:`dump` gave."""
    if data["version"] != STATE_VERSION:
        raise ValueError(f"a joiner state of version {data['version']!r}, not {STATE_VERSION}")
    table = [_message_of(saved) for saved in data["message_table"]]
    joiner.open = {int(msg_id): table[place] for msg_id, place in data["open"]}
    pending = {}
    for run, no, place, start in data["pending"]:
        m, raw = table[place], _raw(start)
        pending[(int(run), int(no))] = (m, raw, _pair_of(m, raw))
    joiner.pending = pending
    joiner.seam_messages = {int(msg_id): table[place] for msg_id, place in data["seam_messages"]}
    joiner.exits = [_raw(label) for label in data["exits"]]
    joiner.latest = _raw(data["latest"])
    attempts, messages, bounces, ends = ([_raw(row) for row in rows] for rows in data["rows"])
    joiner.attempts, joiner.messages, joiner.bounces, joiner.ends = attempts, messages, bounces, ends
    joiner.closed = {int(msg_id) for msg_id in data["closed"]}
    joiner.first_new = {int(msg_id): _raw(label) for msg_id, label in data["first_new"]}
    joiner.seam_results = [(int(run), int(no), _raw(tail)) for run, no, tail in data["seam_results"]]
    joiner.seam_firsts = [(int(i), int(seq), _raw(start)) for i, seq, start in data["seam_firsts"]]
    joiner.end_only = {int(key) for key in data["end_only"]}
    joiner.seam_starts = {(int(run), int(no)) for run, no in data["seam_starts"]}
    for name in _PLAIN:
        setattr(joiner, name, data[name])
    return joiner
