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
from .store import Manifest, current_format

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

    def __init__(
        self,
        root: Path,
        manifest: Manifest,
        start: float,
        end: float,
        lookback: float,
        threads: int | None = None,
    ) -> None:
        self.root, self.manifest = root, manifest
        # Integer address keys (load.key_id) and each attempt's previous one (prev_*) where this
        # code and DuckDB wrote the index; texts and (recipient, message) groupings otherwise.
        self.ids = manifest.format == current_format()
        self.S = label_ns(encode(start))
        self.E = max(label_ns(encode(end)), self.S)
        self.S_ctx = label_ns(encode(max(0.0, start - DELIVERY_HORIZON)))
        oldest = label_ns(encode(max(0.0, start - lookback)))
        self.F_min = self._first_findable(oldest)
        self.con = load.connect(threads)
        for table in load.SEGMENT_FILES:
            self._view(table, manifest.paths(root, table), table)
        # Finished attempts (in segments, sorted by time) apart from those under way: a period's
        # bounds on ``finished`` then skip whole row groups of the Parquet files.
        self._view("seg_attempts", manifest.paths(root, "attempts", running=False), "attempts")
        self._view("run_attempts", manifest.paths(root, "attempts", segments=False), "attempts")
        # The rows of segments without a keys file (the follower's small ones, the running one):
        # keyed.names reads their keys from them.
        for table in ("attempts", "messages"):
            self._view(f"keyless_{table}", manifest.paths(root, table, lacking=load.KEYS_TABLE), table)

    def _view(self, name: str, paths: list[str], table: str) -> None:
        if paths:
            source = "read_parquet([" + ", ".join(_q(p) for p in paths) + "])"
        else:
            columns = [*load.SEGMENT_FILES[table], *load.DERIVED.get(table, {})]
            empty = (
                f"NULL::{'BIGINT' if c in load.INTEGERS | load.STAMPS else 'VARCHAR'} AS {c}" for c in columns
            )
            source = "(SELECT " + ", ".join(empty) + " WHERE FALSE)"
        self.con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source}")

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
        """Attempts in the selection, with ``res`` (their result if in it) and ``known``.

        One started in the period, or before it (at most DELIVERY_HORIZON) with its result in
        it: either way it finished at or after S, or is still under way.
        """
        S, E = self.S, self.E
        select = (
            f"SELECT a.*, CASE WHEN a.finished < {E} THEN a.result END AS res, {self.known('a')} AS known"
        )
        return (
            f"{select} FROM seg_attempts a WHERE a.finished >= {S} AND a.started < {E} "
            f"AND a.mkey IS NOT NULL "
            f"AND (a.started >= {S} OR (a.started >= {self.S_ctx} AND a.finished < {E})) "
            f"UNION ALL {select} FROM run_attempts a WHERE a.started >= {S} AND a.started < {E}"
        )

    def first_of_pair(self) -> str:
        """SQL: an attempt of the selection is the first of its message to its recipient in it.

        The attempt before it (prev_*, the same message and recipient) is in the selection when it
        started in the period, or in the horizon before it and finished in it (it finished before
        this one started, so before E). An earlier one cannot be in it when that one is not: it
        started and finished earlier still. So "messages per recipient" is a count of these, with
        no grouping by (recipient, message).
        """
        S, ctx = self.S, self.S_ctx
        return f"NOT coalesce(prev_started >= {S} OR (prev_started >= {ctx} AND prev_finished >= {S}), FALSE)"

    def orphans(self) -> str:
        """Results in the period whose start the selection does not hold."""
        return (
            "SELECT a.*, a.result AS res, FALSE AS known FROM seg_attempts a "
            f"WHERE a.finished >= {self.S} AND a.finished < {self.E} "
            f"AND (a.mkey IS NULL OR a.started IS NULL OR a.started < {self.S_ctx})"
        )

    def lost(self) -> str:
        return f"SELECT mkey FROM ends WHERE kind = 'l' AND {self.in_period('label')}"

    def filtered(self, rules: list[Rule], first: str = "a0") -> tuple[list[tuple[str, str]], str, str, str]:
        """The x-filters as tables to make in order: ([(name, query)], final attempts, message
        predicate, bounce predicate), applied to the attempts table ``first`` (with ``rkey``).

        The message predicate (on ``mkey``) says whether a message survives every filter; the
        bounce predicate whether its bounces do (Rule.keeps_bounce, filter by filter).
        """
        tables: list[tuple[str, str]] = []
        keep: list[str] = []
        bounce: list[str] = []
        prev = first
        for i, rule in enumerate(rules, 1):
            cur = f"a{i}"
            if rule.kind in ("sender", "uid"):
                if rule.kind == "sender":
                    test = f"lower(m.sender) IN {_list(rule.values)}"
                else:
                    test = f"m.uid IN ({', '.join(str(u) for u in sorted(rule.uids)) or 'NULL'})"
                tables.append((f"k{i}", f"SELECT m.mkey FROM messages m WHERE {self.known('m')} AND {test}"))
                tables.append((cur, f"SELECT * FROM {prev} WHERE mkey IN (SELECT mkey FROM k{i})"))
                keep.append(f"mkey IN (SELECT mkey FROM k{i})")
            else:
                if rule.kind == "rcpt":
                    match = f"(lower(rcpt) IN {_list(rule.values)} OR rkey IN {_list(rule.values)})"
                    tables.append((f"k{i}", f"SELECT DISTINCT mkey FROM {prev} WHERE {match}"))
                else:  # owner: mail from the owned domains (all of it), mail to them (those deliveries)
                    owned = domain_match_sql(load.domain_of("m.sender"), rule.values)
                    own_sender_m = f"({self.known('m')} AND m.sender != '' AND {owned})"
                    own_sender_a = (
                        "(known AND sender != '' AND "
                        f"{domain_match_sql(load.domain_of('sender'), rule.values)})"
                    )
                    match = f"({own_sender_a} OR {domain_match_sql(load.domain_of('rcpt'), rule.values)})"
                    tables.append(
                        (
                            f"k{i}",
                            f"SELECT DISTINCT mkey FROM {prev} WHERE {match} "
                            f"UNION SELECT m.mkey FROM messages m WHERE {own_sender_m}",
                        )
                    )
                tables.append(
                    (cur, f"SELECT * FROM {prev} WHERE mkey IN (SELECT mkey FROM k{i}) AND {match}")
                )
                # keeps_bounce: the message was not narrowed, or a kept delivery of it failed
                tables.append(
                    (
                        f"b{i}",
                        f"SELECT mkey FROM {prev} GROUP BY mkey "
                        f"HAVING bool_and({match}) OR bool_or({match} AND res = 'f')",
                    )
                )
                keep.append(f"mkey IN (SELECT mkey FROM k{i})")
                bounce.append(f"(mkey IN (SELECT mkey FROM b{i}) OR mkey NOT IN (SELECT mkey FROM {prev}))")
            prev = cur
        keep_sql = " AND ".join(keep) or "TRUE"
        return tables, prev, keep_sql, " AND ".join([keep_sql, *bounce])

    def close(self) -> None:
        self.con.close()


def fetch(con: Any, sql: str) -> list[tuple[Any, ...]]:
    return list(con.execute(sql).fetchall())
