"""Rows (text from rows.py) into Parquet segments, with DuckDB doing the parsing in bulk.

The joiner writes each row as text with \\x1f between fields; DuckDB reads those files with both
cores, turns stamps into integer nanoseconds (``ns``: unix seconds * 10**9 + nanoseconds, so they
sort and compare exactly as the labels do) and writes compressed Parquet. Fields are read as text
and cast with TRY_CAST, so a damaged value becomes NULL instead of failing a whole build.
"""

# ruff: noqa: S608  (SQL built from integers and literals quoted by query._q, never raw input)

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .build import Seams

COLUMNS: dict[str, list[str]] = {
    "attempts": [
        "mkey", "msg", "number", "channel", "rcpt", "started", "prev_started", "prev_finished",
        "result", "text", "finished", "seq", "sender", "size", "uid", "info", "info_file",
    ],
    "messages": ["mkey", "msg", "arrived", "qp", "sender", "size", "uid", "info", "info_file"],
    "bounces": ["mkey", "msg", "label", "qp"],
    "ends": ["mkey", "msg", "label", "kind"],
}  # fmt: skip
_RKEY = "lower(rcpt)"
_SKEY = "CASE WHEN sender = '' THEN '<>' ELSE lower(sender) END"


def key_id(text: str) -> str:
    """SQL: the integer key of an address (or domain) text, the same in every segment.

    Grouping a week of attempts by (recipient, message) on texts cost most of a whole-log top-*
    report; on integers it costs half. A 63-bit hash, so the key needs no dictionary shared by
    the build's processes and the follower; keyed.py checks that the keys of the rows it shows
    name one text each, and counts on the texts otherwise. DuckDB's hash may change between its
    versions: the manifest records the version that wrote the index (store.current_format).
    """
    return f"(CASE WHEN {text} IS NOT NULL THEN (hash({text}) >> 1)::BIGINT END)"  # hash(NULL) is not NULL


def domain_of(text: str) -> str:
    """``address.rpartition("@")[2]`` in SQL: after the last @, or the whole text."""
    return f"(CASE WHEN strpos({text}, '@') > 0 THEN split_part({text}, '@', -1) ELSE {text} END)"


# Computed while loading, so that reports group by them without lower-casing millions of rows:
# the recipient and the sender as the reports count them (reports.Stats: "<>" for the null
# sender), and their integer keys and their domains' (key_id).
# The keys (KEYS) are computed from the texts computed before them (a second SELECT), so each
# address is lower-cased once.
DERIVED = {
    "attempts": {
        "rkey": _RKEY, "skey": _SKEY, "rid": key_id("rkey"), "sid": key_id("skey"),
        "rdom": key_id(domain_of("rkey")), "sdom": key_id(domain_of("skey")),
    },
    "messages": {"skey": _SKEY, "sid": key_id("skey"), "sdom": key_id(domain_of("skey"))},
}  # fmt: skip
KEYS = {"rid", "sid", "rdom", "sdom"}
UNKNOWN = key_id("'?'")  # the key of a sender the selection does not know (reports count it as "?")
KEYS_TABLE = "keys"  # a segment's keys and their texts (write_keys)
SEGMENT_FILES = {**COLUMNS, KEYS_TABLE: ["k", "text"]}  # each Parquet file of a segment: its columns
STAMPS = {"started", "prev_started", "prev_finished", "finished", "arrived", "info", "label"}
INTEGERS = {"mkey", "msg", "number", "seq", "size", "uid", "info_file", "qp", "k", *KEYS}
TEXTS = {"channel", "rcpt", "result", "text", "sender", "kind"}
_OFFSET = 0x400000000000000A

NS_MACRO = (
    "CREATE OR REPLACE MACRO ns(l) AS "
    f"(TRY_CAST('0x' || substr(l, 1, 16) AS BIGINT) - {_OFFSET}) * 1000000000"
    " + TRY_CAST('0x' || substr(l, 17, 8) AS BIGINT)"
)


THREADS_ENV = "NODEWORX_LOG_INDEX_THREADS"
# Parquet 2's encodings: stamps, keys and seq (each near the row before) delta-packed, texts with
# their lengths apart; whole-log reports decode their columns with 15-20 % less CPU than with
# version 1's plain pages (bench/README.md, "Delivery index"). Readers take both versions.
PARQUET = "FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION V2"


def connect(threads: int | None = None) -> Any:
    """A DuckDB connection (in memory) with the ``ns`` macro; threads: NODEWORX_LOG_INDEX_THREADS, else 2."""
    import os

    import duckdb  # imported here: the streaming tools never pay for it

    if threads is None:
        value = os.environ.get(THREADS_ENV, "")
        threads = int(value) if value.isdigit() and int(value) > 0 else 2

    con = duckdb.connect(config={"threads": threads})
    con.execute("SET enable_progress_bar = false")
    con.execute(NS_MACRO)
    return con


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _scan(table: str, files: list[Path]) -> str:
    names = "[" + ", ".join(_quote(str(f)) for f in files) + "]"
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in COLUMNS[table]) + "}"
    return (
        f"read_csv({names}, delim='\x1f', quote='', escape='', header=false, nullstr='\\N', "
        f"auto_detect=false, columns={columns}, strict_mode=false, max_line_size=10000000)"
    )


def _typed(table: str, alias: str) -> list[str]:
    out = []
    for c in COLUMNS[table]:
        if c in STAMPS:
            out.append(f"ns({alias}.{c}) AS {c}")
        elif c in INTEGERS:
            out.append(f"TRY_CAST({alias}.{c} AS BIGINT) AS {c}")
        else:
            out.append(f"{alias}.{c} AS {c}")
    return out


def _has_rows(path: Path | None) -> bool:
    return path is not None and path.exists() and path.stat().st_size > 0


def write_table(
    con: Any, table: str, files: list[Path], out: Path, remap: Path | None = None, prev: Path | None = None
) -> int:
    """Load ``files`` (rows of ``table``) into ``out`` (Parquet); returns the number of rows.

    ``remap`` (old mkey, new mkey, sender, size, uid, info, info_file as text) re-keys the rows of
    messages a parallel build's later worker first saw without their ``new msg`` (see build.py);
    its attempts written before the message's sender was known take the sender from it.
    ``prev`` (seq, prev_started, prev_finished) gives such a message's attempts the attempt before
    them that the earlier worker saw.
    """
    files = [f for f in files if f.exists() and f.stat().st_size]
    if not files:
        return 0
    select = _typed(table, "a")
    source = _scan(table, files) + " a"
    if _has_rows(remap):
        source += (
            " LEFT JOIN (SELECT TRY_CAST(old AS BIGINT) AS old, TRY_CAST(new AS BIGINT) AS new,"
            " sender AS r_sender,"
            " TRY_CAST(size AS BIGINT) AS r_size, TRY_CAST(uid AS BIGINT) AS r_uid, ns(info) AS r_info,"
            " TRY_CAST(info_file AS BIGINT) AS r_info_file FROM read_csv("
            f"{_quote(str(remap))}, delim='\x1f', quote='', escape='', header=false, nullstr='\\N',"
            " auto_detect=false, columns={'old': 'VARCHAR', 'new': 'VARCHAR', 'sender': 'VARCHAR',"
            " 'size': 'VARCHAR', 'uid': 'VARCHAR', 'info': 'VARCHAR', 'info_file': 'VARCHAR'})) r"
            " ON TRY_CAST(a.mkey AS BIGINT) = r.old"
        )
        select[0] = "COALESCE(r.new, TRY_CAST(a.mkey AS BIGINT)) AS mkey"
        if table == "attempts":
            late = "r.new IS NOT NULL AND a.info IS NULL"
            for name in ("sender", "size", "uid", "info", "info_file"):
                i = COLUMNS[table].index(name)
                select[i] = (
                    f"CASE WHEN {late} THEN r.r_{name} ELSE {select[i].rsplit(' AS ', 1)[0]} END AS {name}"
                )
    if table == "attempts" and _has_rows(prev):
        source += (
            " LEFT JOIN (SELECT TRY_CAST(seq AS BIGINT) AS p_seq, ns(ps) AS p_started, ns(pf) AS p_finished"
            f" FROM read_csv({_quote(str(prev))}, delim='\x1f', quote='', escape='', header=false,"
            " nullstr='\\N', auto_detect=false,"
            " columns={'seq': 'VARCHAR', 'ps': 'VARCHAR', 'pf': 'VARCHAR'})) p"
            " ON TRY_CAST(a.seq AS BIGINT) = p.p_seq"
        )
        for name in ("prev_started", "prev_finished"):
            i = COLUMNS[table].index(name)
            select[i] = f"CASE WHEN p.p_seq IS NOT NULL THEN p.p_{name[5:]} ELSE ns(a.{name}) END AS {name}"
    query = f"SELECT {', '.join(select)} FROM {source}"
    derived = DERIVED.get(table, {})
    for layer in (
        {c: e for c, e in derived.items() if c not in KEYS},
        {c: e for c, e in derived.items() if c in KEYS},
    ):
        if layer:
            query = f"SELECT *, {', '.join(f'{e} AS {c}' for c, e in layer.items())} FROM ({query})"
    con.execute(f"COPY ({query}) TO {_quote(str(out))} ({PARQUET})")
    row = con.execute(f"SELECT count(*) FROM read_parquet({_quote(str(out))})").fetchone()
    return int(row[0]) if row else 0


def write_segment(
    con: Any,
    sources: dict[str, list[Path]],
    out: Path,
    seams: Seams | None = None,
    *,
    keys: bool = True,
) -> dict[str, int]:
    """One segment directory from row files per table; tables without rows get no file.

    ``keys``: write its keys file too. The follower's segments of one read and its running one get
    none (written every few seconds, they are small: keyed.names reads their rows instead).
    """
    out.mkdir(exist_ok=True)
    counts = {}
    remap, prev = (seams.remap, seams.prev) if seams is not None else (None, None)
    for table in COLUMNS:
        counts[table] = write_table(con, table, sources.get(table, []), out / f"{table}.parquet", remap, prev)
    if keys:
        counts[KEYS_TABLE] = write_keys(con, out)
    return counts


def write_keys(con: Any, segment: Path) -> int:
    """The segment's ``keys.parquet``: each address's and domain's key (key_id) with its text.

    A page of a top-* table is grouped on keys and names its rows from here (keyed.py): reading
    the few thousand keys of a segment costs nothing beside finding them among its attempts.
    """
    parts = []
    for table, pairs in (("attempts", (("rid", "rkey"), ("sid", "skey"))), ("messages", (("sid", "skey"),))):
        path = segment / f"{table}.parquet"
        if path.exists():
            parts += [
                f"SELECT {k} AS k, {t} AS text FROM read_parquet({_quote(str(path))})" for k, t in pairs
            ]
    if not parts:
        return 0
    domain = domain_of("text")
    query = (
        f"WITH a AS ({' UNION '.join(parts)}) SELECT k, text FROM a WHERE k IS NOT NULL "
        f"UNION SELECT {key_id(domain)}, {domain} FROM a WHERE k IS NOT NULL"
    )
    out = segment / f"{KEYS_TABLE}.parquet"
    con.execute(f"COPY ({query}) TO {_quote(str(out))} ({PARQUET})")
    row = con.execute(f"SELECT count(*) FROM read_parquet({_quote(str(out))})").fetchone()
    return int(row[0]) if row else 0
