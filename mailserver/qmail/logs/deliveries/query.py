"""A period of the index, seen as the streaming tools see the same period of the log.

The selectors hand a period's lines to the joiner with some context from before it (context.py);
what the joiner then makes of a message depends on which of its lines that selection holds.
Over the index's rows, for a period [S, E) (stamps as integer nanoseconds, see load.py):

* an attempt is in the selection when it started in the period, or started before it and
  finished in it, no more than DELIVERY_HORIZON before S (the selector looks that far back for
  the starts of deliveries under way); it has its result only when it finished before E;
* a result in the period whose start is not in the selection is an orphan: show-* prints it
  with ``?`` for what the start would have said, the top-* reports do not count it;
* a message's sender, size and uid are known when its ``info msg`` line is in the selection: in
  the period, or before it in a log file not wholly older than the lookback (context.info_lines
  skips whole files older than that);
* a message arrived in the period when its ``new msg`` line is in it; a bounce counts when its
  ``bounce msg`` line is; a message whose id a ``new msg`` took before its ``end msg`` (an ``l``
  end row) is dropped by the joiner when that line is in the period.

The x-filters are applied in the order the agent chains them, each to what the one before kept.
"""

# ruff: noqa: S608  (SQL built from integers and literals quoted by query._q, never raw input)

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..selection import DELIVERY_HORIZON
from ..tai64n import encode
from . import load
from .store import Manifest

NS = 1_000_000_000


def label_ns(label: bytes | str) -> int:
    raw = label.encode() if isinstance(label, str) else label
    return (int(raw[:16], 16) - 0x400000000000000A) * NS + int(raw[16:24], 16)


def ns_unix(ns: int) -> float:
    """What tai64n.label_unix gives for the same stamp (the same float, bit for bit)."""
    return (ns // NS) + (ns % NS) / 1e9


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _list(values: Iterable[str]) -> str:
    items = sorted(set(values))
    return "(" + ", ".join(_q(v) for v in items) + ")" if items else "(NULL)"


@dataclass
class Rule:
    """An x-filter as SQL: ``kind`` rcpt / sender / owner / uid, with its values."""

    kind: str
    values: set[str] = field(default_factory=set)
    uids: set[int] = field(default_factory=set)


def domain_match_sql(expr: str, owned: set[str]) -> str:
    """domains.domain_matches in SQL: exact domain, or a ``.suffix`` entry it ends with."""
    exact = {d for d in owned if not d.startswith(".")}
    parts = [f"lower({expr}) IN {_list(exact)}"] if exact else []
    parts += [
        f"(ends_with(lower({expr}), {_q(s)}) AND lower({expr}) != {_q(s[1:])})"
        for s in sorted(owned)
        if s.startswith(".")
    ]
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


class Period:
    """One period of one index: SQL for the rows the streaming selection of it would join."""

    def __init__(self, root: Path, manifest: Manifest, start: float, end: float, lookback: float) -> None:
        self.root, self.manifest = root, manifest
        self.S = label_ns(encode(start))
        self.E = max(label_ns(encode(end)), self.S)
        self.S_ctx = label_ns(encode(max(0.0, start - DELIVERY_HORIZON)))
        oldest = label_ns(encode(max(0.0, start - lookback)))
        self.F_min = self._first_findable(oldest)
        self.con = load.connect()
        for table in load.COLUMNS:
            paths = manifest.paths(root, table)
            if paths:
                source = "read_parquet([" + ", ".join(_q(p) for p in paths) + "])"
            else:
                source = (
                    "(SELECT "
                    + ", ".join(
                        f"NULL::{'VARCHAR' if c in load.TEXTS else 'BIGINT'} AS {c}"
                        for c in load.COLUMNS[table]
                    )
                    + " WHERE FALSE)"
                )
            self.con.execute(f"CREATE VIEW {table} AS SELECT * FROM {source}")

    def _first_findable(self, oldest: int) -> int:
        """The lowest file number whose ``info msg`` lines a selection may still find."""
        files = sorted(self.manifest.files, key=lambda f: f["no"])
        for i, entry in enumerate(files):
            nxt = files[i + 1]["first"] if i + 1 < len(files) else ""
            if not nxt or label_ns(nxt) >= oldest:
                return int(entry["no"])
        return 1 << 40

    def known(self, alias: str) -> str:
        info = f"{alias}.info"
        findable = f"({info} >= {self.S} OR {alias}.info_file >= {self.F_min})"
        return f"({info} IS NOT NULL AND {info} < {self.E} AND {findable})"

    def in_period(self, column: str) -> str:
        return f"({column} >= {self.S} AND {column} < {self.E})"

    def attempts(self) -> str:
        """Attempts in the selection, with ``res`` (their result if in it) and ``known``."""
        S, E = self.S, self.E
        return (
            f"SELECT a.*, CASE WHEN a.finished < {E} THEN a.result END AS res, {self.known('a')} AS known "
            f"FROM attempts a WHERE a.mkey IS NOT NULL AND a.started IS NOT NULL AND "
            f"((a.started >= {S} AND a.started < {E}) OR "
            f"(a.started < {S} AND a.started >= {self.S_ctx} AND a.finished >= {S} AND a.finished < {E}))"
        )

    def orphans(self) -> str:
        """Results in the period whose start the selection does not hold."""
        return (
            "SELECT a.*, a.result AS res, FALSE AS known FROM attempts a "
            f"WHERE {self.in_period('a.finished')} "
            f"AND (a.mkey IS NULL OR a.started IS NULL OR a.started < {self.S_ctx})"
        )

    def lost(self) -> str:
        return f"SELECT mkey FROM ends WHERE kind = 'l' AND {self.in_period('label')}"

    def filtered(self, rules: list[Rule], rcpt_key: str) -> tuple[list[str], str, str]:
        """CTEs for the x-filters: (ctes, final attempts CTE name, message predicate on ``mkey``).

        The predicate says whether a message survives every filter; with it, ``bounce_ok``
        (a CTE of mkeys) says whether its bounces do.
        """
        ctes = [f"a0 AS MATERIALIZED ({self.attempts()})"]
        keep: list[str] = []
        bounce: list[str] = []
        prev = "a0"
        for i, rule in enumerate(rules, 1):
            cur = f"a{i}"
            if rule.kind in ("sender", "uid"):
                if rule.kind == "sender":
                    test = f"lower(m.sender) IN {_list(rule.values)}"
                else:
                    test = f"m.uid IN ({', '.join(str(u) for u in sorted(rule.uids)) or 'NULL'})"
                ctes.append(
                    f"k{i} AS MATERIALIZED (SELECT m.mkey FROM messages m WHERE {self.known('m')} AND {test})"
                )
                ctes.append(
                    f"{cur} AS MATERIALIZED (SELECT * FROM {prev} WHERE mkey IN (SELECT mkey FROM k{i}))"
                )
                keep.append(f"mkey IN (SELECT mkey FROM k{i})")
            else:
                if rule.kind == "rcpt":
                    match = f"(lower(rcpt) IN {_list(rule.values)} OR {rcpt_key} IN {_list(rule.values)})"
                    ctes.append(f"k{i} AS MATERIALIZED (SELECT DISTINCT mkey FROM {prev} WHERE {match})")
                else:  # owner: mail from the owned domains (all of it), mail to them (those deliveries)
                    owned = domain_match_sql(_domain("m.sender"), rule.values)
                    own_sender_m = f"({self.known('m')} AND m.sender != '' AND {owned})"
                    own_sender_a = (
                        f"(known AND sender != '' AND {domain_match_sql(_domain('sender'), rule.values)})"
                    )
                    match = f"({own_sender_a} OR {domain_match_sql(_domain('rcpt'), rule.values)})"
                    ctes.append(
                        f"k{i} AS MATERIALIZED (SELECT DISTINCT mkey FROM {prev} WHERE {match} "
                        f"UNION SELECT m.mkey FROM messages m WHERE {own_sender_m})"
                    )
                ctes.append(
                    f"{cur} AS MATERIALIZED (SELECT * FROM {prev} "
                    f"WHERE mkey IN (SELECT mkey FROM k{i}) AND {match})"
                )
                # keeps_bounce: the message was not narrowed, or a kept delivery of it failed
                ctes.append(
                    f"b{i} AS MATERIALIZED (SELECT mkey FROM {prev} GROUP BY mkey "
                    f"HAVING bool_and({match}) OR bool_or({match} AND res = 'f'))"
                )
                keep.append(f"mkey IN (SELECT mkey FROM k{i})")
                bounce.append(f"(mkey IN (SELECT mkey FROM b{i}) OR mkey NOT IN (SELECT mkey FROM {prev}))")
            prev = cur
        keep_sql = " AND ".join(keep) or "TRUE"
        bounce_sql = " AND ".join([keep_sql, *bounce])
        return ctes, prev, f"{keep_sql}|{bounce_sql}"

    def close(self) -> None:
        self.con.close()


def _domain(expr: str) -> str:
    """``address.rpartition("@")[2]`` in SQL: after the last @, or the whole text."""
    return f"(CASE WHEN strpos({expr}, '@') > 0 THEN split_part({expr}, '@', -1) ELSE {expr} END)"


def fetch(con: Any, sql: str) -> list[tuple[Any, ...]]:
    return list(con.execute(sql).fetchall())
