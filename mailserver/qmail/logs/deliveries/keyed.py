"""One page of a top-* table grouped on integer keys, in the order of the same table on texts.

Grouping a week of attempts on the addresses' integer keys (load.key_id) costs half what it
costs on their texts, but the order the page promises (ranked.py: the number high first, ties by
the first column's text A-Z, ``reverse`` turning it all round) needs texts. Only the rows that
can be on the page need them: those whose number lies between the numbers of the page's first
and last rows, the page's rows and their ties. Those are named, sorted on (number, text) and
cut; the rows ahead of them in the order are only counted.

Keys are hashes: two texts could share one. Every key named here is checked to name one text;
if one names two, ``page`` returns None and the table is counted on the texts instead. Two
addresses that share a key but lie wholly outside the page would be counted as one row unseen:
with 63-bit keys and a million addresses, about one report in ten million.
"""

# ruff: noqa: S608  (SQL built from our own column names and Report's queries)

from __future__ import annotations

from typing import TYPE_CHECKING

from .load import UNKNOWN, domain_of, key_id

if TYPE_CHECKING:
    from .reports import Report

Row = list[str | int]
# A bounce is a message from the null sender ("<>" as counted) or qmail's "#@[]"; on keys, a
# sender whose key is one of these (SQL constants). page() makes sure no other sender has one.
BOUNCE_TEXTS = ("<>", "#@[]")
BOUNCE_KEYS = tuple(key_id(f"'{text}'") for text in BOUNCE_TEXTS)


def page(
    report: Report,
    sides: str,
    rows_sql: str,
    columns: list[str],
    column: str,
    reverse: bool,
    limit: int,
    offset: int,
) -> tuple[list[Row], int] | None:
    """(the page's rows, named; how many rows the table has), or None when two texts share a key."""
    con = report.con
    bounce_ids = [int(k) for k in con.execute(f"SELECT {', '.join(BOUNCE_KEYS)}").fetchone()]
    bounces = names(report, f"SELECT unnest({bounce_ids})")
    pairs = zip(bounce_ids, BOUNCE_TEXTS, strict=True)
    if bounces is None or any(bounces.get(k, text) != text for k, text in pairs):
        return None  # a sender would pass for the null sender
    con.execute(f"CREATE OR REPLACE TEMP TABLE keyed AS WITH {sides}, t AS ({rows_sql}) SELECT * FROM t")
    total = int(con.execute("SELECT count(*) FROM keyed").fetchone()[0])
    if offset >= total or limit <= 0:  # no row shown: the count holds if no key names two texts
        every = f'SELECT "{columns[0]}" FROM keyed'
        return ([], total) if names(report, every) is not None else None
    number = f'"{column}"'
    way = "ASC" if reverse else "DESC"
    edge = f"SELECT {number} FROM keyed ORDER BY {number} {way} LIMIT 1 OFFSET "
    first = con.execute(edge + str(int(offset))).fetchone()[0]
    last = con.execute(edge + str(min(offset + limit, total) - 1)).fetchone()[0]
    ahead = int(con.execute(f"SELECT count(*) FROM keyed WHERE {number} {'<' if reverse else '>'} ?", [first])
                .fetchone()[0])  # fmt: skip
    low, high = min(first, last), max(first, last)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE shown AS SELECT * FROM keyed WHERE {number} BETWEEN ? AND ?",
        [low, high],
    )
    named = names(report, f'SELECT "{columns[0]}" FROM shown')
    if named is None:
        return None
    i = columns.index(column)
    rows: list[Row] = []
    for fetched in con.execute("SELECT * FROM shown").fetchall():
        if fetched[0] not in named:  # a row without an address: counted on the texts, as before
            return None
        rows.append([named[fetched[0]], *(int(v or 0) for v in fetched[1:])])
    rows.sort(key=lambda row: (-int(row[i]), str(row[0])), reverse=reverse)
    start = offset - ahead
    return rows[start : start + limit], total


def names(report: Report, shown: str) -> dict[int, str] | None:
    """The text of each key in ``shown`` (a query of keys), or None if a key names two texts.

    The segments' ``keys`` files hold every address's and domain's key (load.write_keys); the
    follower's small segments and the running one have none (written at every read of the log,
    they are merged into one that has), so their few rows are asked directly.
    """
    parts = ["SELECT k, text FROM keys WHERE k IN (SELECT * FROM wanted)"]
    for table, k, text in (("keyless_attempts", "rid", "rkey"), ("keyless_attempts", "sid", "skey"),
                           ("keyless_messages", "sid", "skey")):  # fmt: skip
        for key, name in ((k, text), (f"{k[0]}dom", domain_of(text))):
            parts.append(f"SELECT {key}, {name} FROM {table} WHERE {key} IN (SELECT * FROM wanted)")
    # A sender the selection does not know is counted under "?" (load.UNKNOWN), and the
    # virtual-domain recipients under the addresses they were sent to (Report._map_recipients).
    parts.append(f"SELECT {UNKNOWN}, '?'")
    if report.domains is not None:
        parts += [
            f"SELECT DISTINCT {key_id('orig')}, orig FROM rmap",
            f"SELECT DISTINCT {key_id(domain_of('orig'))}, {domain_of('orig')} FROM rmap",
        ]
    con = report.con
    con.execute(f"CREATE OR REPLACE TEMP TABLE wanted AS {shown}")
    names: dict[int, str] = {}
    for k, text in con.execute(" UNION ".join(parts)).fetchall():
        if k is None:
            continue
        if names.setdefault(int(k), text) != text:
            return None
    return names
