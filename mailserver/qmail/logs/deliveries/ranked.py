"""A top-* table computed, sorted and cut in the database: the first rows and how many there are.

Over a week of a busy log a top-* table has a row per address (a hundred thousand and more); the
page shows 500 of them. reports.table builds every row and sorts them all in Python; this does
the same in SQL and brings back only the rows shown, so a whole-log report stays well under a
second. Row for row and in the same order as reports.table(...).sort(column, reverse=...):

* the columns and the rows kept are those of reports.table (see its counting rules);
* Table.sort orders numbers high first and text A-Z, ties by the first column (unique here),
  and ``reverse`` turns the whole order around; texts compare by code point, as DuckDB's
  default (binary) collation compares UTF-8.
"""

from __future__ import annotations

# ruff: noqa: S608  (SQL built from our own column names and Report's queries)
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..records import readable
from ..reports import Stats, Table, sides_for, table
from . import keyed
from .load import domain_of

if TYPE_CHECKING:
    from .reports import Report


@dataclass(frozen=True)
class Keys:
    """What a table's rows are grouped on: the texts, or their integer keys (load.key_id)."""

    recipient: str  # a column of att
    sender: str  # a column of att and of messages
    ids: bool
    domains: bool = False  # the keys are domains' (top-domain-stats on ids)


TEXTS = Keys("rkey", "skey", ids=False)
ADDRESS_IDS = Keys("rid", "sid", ids=True)
DOMAIN_IDS = Keys("rdom", "sdom", ids=True, domains=True)

_READABLE = "replace(replace(rtrim({0}, '/'), '_', ' '), '/', ' / ')"  # records.readable
_SENDER = ["sent", "bytes", "ok", "def", "fail", "bounced"]
_PER_MESSAGE = ("top-recipients", "top-deferrals", "top-failures")  # they show messages per recipient
_RCPT = ["msgs", "rok", "rdef", "rfail", "rbounces"]


_RESULTS = (
    "count(*) FILTER (WHERE res = 's') AS {p}ok, count(*) FILTER (WHERE res = 'd') AS {p}def, "
    "count(*) FILTER (WHERE res = 'f') AS {p}fail, max(seq) FILTER (WHERE res = 'd') AS {p}last_d, "
    "max(seq) FILTER (WHERE res = 'f') AS {p}last_f"
)  # last_d / last_f: the seq of the deferral / failure logged last; its text is fetched for the rows shown


def _senders(report: Report, keys: Keys) -> str:
    s = keys.sender
    return (
        f"s_arr AS ({report.arrived(s)}), s_bnc AS ({report.bounced(s)}), "
        f"s_res AS (SELECT {s} AS k, {_RESULTS.format(p='')} FROM att WHERE res IS NOT NULL GROUP BY k), "
        "senders AS (SELECT k, coalesce(a.n, 0) AS sent, coalesce(a.b, 0) AS bytes, coalesce(ok, 0) AS ok, "
        "coalesce(def, 0) AS def, coalesce(fail, 0) AS fail, coalesce(x.n, 0) AS bounced, last_d, last_f "
        "FROM s_arr a FULL JOIN s_res r USING (k) FULL JOIN s_bnc x USING (k))"
    )


def _recipients(report: Report, name: str, keys: Keys) -> str:
    """The recipients' counters, computed no further than the report needs them.

    Messages per recipient count each (recipient, message) once. On the keys, where the report
    can (Report.firsts), that is a count of each pair's first attempt in the period, in the one
    grouping by recipient. Otherwise it is a grouping by both, the costly part over a week of
    log (grouping the results in the same pass; for top-deferrals and -failures, the pairs of
    just the recipients they list cost more: those recipients hold most attempts). The user and
    domain stats need no pairs (a recipient with any attempt has a row there).
    """
    is_bounce = (
        f"known AND sid IN ({', '.join(keyed.BOUNCE_KEYS)})"  # keyed.page checks these keys
        if keys.ids
        else "known AND sender IN ('', '#@[]')"
    )
    if name in _PER_MESSAGE and keys.ids and report.firsts:
        return (
            f"recipients AS (SELECT {keys.recipient} AS k, count(*) FILTER (WHERE first) AS msgs, "
            f"count(*) FILTER (WHERE first AND {is_bounce}) AS rbounces, {_RESULTS.format(p='r')} "
            "FROM att GROUP BY k)"
        )
    bounce = f"bool_or({is_bounce})"
    if name in _PER_MESSAGE:
        return (
            f"r_pairs AS (SELECT {keys.recipient} AS k, mkey, {bounce} AS b, {_RESULTS.format(p='')} "
            "FROM att GROUP BY k, mkey), "
            "recipients AS (SELECT k, count(*) AS msgs, count(*) FILTER (WHERE b) AS rbounces, "
            "sum(ok) AS rok, sum(def) AS rdef, sum(fail) AS rfail, max(last_d) AS rlast_d, "
            "max(last_f) AS rlast_f FROM r_pairs GROUP BY k)"
        )
    return (  # user and domain stats: 1 for "has a row" (its messages are not shown)
        f"recipients AS (SELECT {keys.recipient} AS k, 1 AS msgs, {_RESULTS.format(p='r')}, 0 AS rbounces "
        "FROM att GROUP BY k)"
    )


def _rows(name: str, by: str, keys: Keys) -> str:
    """The SELECT of the table's rows (columns named as reports.table names them).

    On domain keys the domain stats are the user stats of the domains: every counter is a count
    or a sum, so summing an address's counters per domain and counting per domain agree.
    """
    if name == "top-senders":
        return (
            "SELECT k AS sender, sent AS messages, bytes, ok AS success, def AS deferral, fail AS failure, "
            "bounced AS bounces FROM senders WHERE sent > 0 OR ok > 0 OR def > 0 OR fail > 0 OR bounced > 0"
        )
    if name == "top-recipients":
        return (
            "SELECT k AS recipient, msgs AS messages, rok AS success, rdef AS deferral, rfail AS failure, "
            "rbounces AS bounces FROM recipients"
        )
    if name in ("top-deferrals", "top-failures"):
        short, result = ("def", "deferral") if name == "top-deferrals" else ("fail", "failure")
        side, count, messages, last = (
            ("senders", short, "sent", f"last_{short[0]}")
            if by == "sender"
            else ("recipients", f"r{short}", "msgs", f"rlast_{short[0]}")
        )
        return (
            f"SELECT k AS {by}, {count} AS {result}s, {messages} AS messages, {last} AS last_reason "
            f"FROM {side} WHERE {count} > 0"
        )
    key = "domain" if name == "top-domain-stats" else "user"
    group = domain_of("k") if key == "domain" else "k"
    sums = ", ".join(f"sum(coalesce({c}, 0)) AS {c}" for c in [*_SENDER, *_RCPT])
    nonzero = " OR ".join(f"{c} != 0" for c in [*_SENDER, *_RCPT])
    # Both sides have one row per address, so the join has one per address: the user stats
    # need no second grouping (over a whole log it cost a fifth of the report).
    per_key = f"SELECT k AS g, {', '.join(f'coalesce({c}, 0) AS {c}' for c in [*_SENDER, *_RCPT])} "
    rows = (
        f"{per_key} FROM senders FULL JOIN recipients USING (k)"
        if key == "user" or keys.domains
        else f"SELECT {group} AS g, {sums} FROM senders FULL JOIN recipients USING (k) GROUP BY g"
    )
    return (
        f"SELECT g AS {key}, sent, bytes, ok AS sent_ok, def AS sent_deferred, fail AS sent_failed, bounced, "
        f"rok AS received, rdef AS rcvd_deferred, rfail AS rcvd_failed FROM ({rows}) WHERE {nonzero}"
    )


def ranked(
    report: Report, name: str, by: str, sort: str | None, reverse: bool, limit: int, offset: int = 0
) -> tuple[Table, int]:
    """(``limit`` rows of the table after ``offset``, in the order asked; how many rows it has)."""
    empty = table(name, Stats(), by=by)
    columns = empty.columns
    column = Table(columns, [], empty.sort_column).column(sort) if sort else empty.sort_column
    text = column == columns[0] or column == "last_reason"
    if report.p.ids and not text:  # sorted by a number: grouped on integer keys, named at the end
        keys = DOMAIN_IDS if name == "top-domain-stats" else ADDRESS_IDS
        rows_sql = _rows(name, by, keys)
        sides = _sides(report, name, by, keys)
        paged = keyed.page(report, sides, rows_sql, columns, column, reverse, limit, offset)
        if paged is not None:
            return _with_reasons(report, paged[0], columns, column), paged[1]
    rows_sql = _rows(name, by, TEXTS)
    first = f'"{columns[0]}"'
    order = f'"{column}" {"DESC" if not text else "ASC"}, {first} ASC'
    if reverse:
        order = f'"{column}" {"ASC" if not text else "DESC"}, {first} DESC'
    if column == columns[0]:
        order = f"{first} {'DESC' if reverse else 'ASC'}"
    sides = _sides(report, name, by, TEXTS)
    if "last_reason" in columns and column == "last_reason":  # sorted by the texts: each row needs its own
        rows_sql = (
            f"SELECT t0.* REPLACE ({_READABLE.format('x.text')} AS last_reason) FROM ({rows_sql}) t0 "
            "LEFT JOIN (SELECT seq, text FROM seg_attempts) x ON x.seq = t0.last_reason"
        )
    sql = (
        f"WITH {sides}, t AS ({rows_sql}) SELECT *, count(*) OVER () AS total FROM t "
        f"ORDER BY {order} LIMIT {int(limit)} OFFSET {int(offset)}"
    )
    fetched = report.con.execute(sql).fetchall()
    total = int(fetched[0][-1]) if fetched else 0
    if not fetched and offset:  # a page past the end: still say how many rows there are
        total = int(
            report.con.execute(f"WITH {sides}, t AS ({rows_sql}) SELECT count(*) FROM t").fetchone()[0]
        )
    rows: list[list[str | int]] = [[_value(v) for v in row[:-1]] for row in fetched]
    return _with_reasons(report, rows, columns, column), total


def _sides(report: Report, name: str, by: str, keys: Keys) -> str:
    wanted = sides_for(name, by)
    ctes = [_senders(report, keys)] if "senders" in wanted else []
    ctes += [_recipients(report, name, keys)] if "recipients" in wanted else []
    return ", ".join(ctes)


def _with_reasons(report: Report, rows: list[list[str | int]], columns: list[str], column: str) -> Table:
    """The table, with the reply texts of just the rows shown where it lists the last reason."""
    if "last_reason" in columns and column != "last_reason":
        seqs = ", ".join(str(row[3]) for row in rows) or "NULL"
        texts = dict(
            report.con.execute(f"SELECT seq, text FROM seg_attempts WHERE seq IN ({seqs})").fetchall()
        )
        for row in rows:
            row[3] = readable(texts.get(row[3], ""))
    return Table(columns, rows, column)


def _value(value: Any) -> str | int:
    return value if isinstance(value, str) else int(value or 0)
