"""The streaming tools' reports, computed from the index: show-*, top-*, the chart, the causes.

Counting follows reports.Stats rule for rule (see reports.py): the SQL below gathers the same
per-address counters, and reports.table builds, sorts and formats the table from them exactly
as it does for the streaming tools, so the two cannot differ in presentation.
"""

# ruff: noqa: S608  (SQL built from integers and literals quoted by query._q, never raw input)

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..causes import CAUSES, Cause, Causes
from ..domains import Domains
from ..reports import Stats, Table, sides_for, table
from ..series import Series
from . import keyed
from .load import UNKNOWN, domain_of, key_id
from .query import Period, Rule, _list, _q, fetch, ns_unix

# The text of the result logged last (results' seq follow the log), as Stats keeps it.
LATEST = "arg_max(text, seq) FILTER (WHERE res != 's')"


class Report:
    """One period, filters and channel: the x-filtered attempts and messages, ready to count."""

    def __init__(
        self,
        period: Period,
        rules: list[Rule],
        channel: str | None,
        domains: Domains | None,
    ) -> None:
        self.p, self.rules, self.channel = period, rules, channel
        self.domains = domains if domains is not None and domains.virtual else None
        self.con = period.con
        self._results = False
        # The period's attempts, once, with what the reports read: reply texts of deferrals and
        # failures only (show-* fetches the texts of the rows it prints), the recipient as counted.
        # A view: each report's query reads the Parquet files once, skipping the row groups
        # outside the period. Only virtual-domain recipients need a table (to rewrite them).
        kind = "TABLE" if self.domains is not None else "VIEW"
        keys = (
            f", rid, CASE WHEN known THEN sid ELSE {UNKNOWN} END AS sid, rdom, "
            f"CASE WHEN known THEN sdom ELSE {UNKNOWN} END AS sdom, {period.first_of_pair()} AS first"
            if period.ids
            else ""
        )
        self.con.execute(
            f"CREATE OR REPLACE TEMP {kind} a0 AS SELECT mkey, msg, channel, rcpt, rkey, res, text, "
            f"finished, seq, sender, CASE WHEN known THEN skey ELSE '?' END AS skey, size, known{keys} "
            f"FROM ({period.attempts()})"
        )
        # Messages per recipient counted from ``first`` (Period.first_of_pair), one grouping by
        # recipient: not where rewriting makes two recipients of the period one (two of a
        # message would be one pair), nor on one channel (a retry may change channel when the
        # control files change between attempts).
        self.firsts = period.ids and not channel
        if self.domains is not None:
            self.firsts = self._map_recipients() and self.firsts
        tables, self.att, self.keep, self.bounce_keep = period.filtered(rules)
        for name, query in tables:  # the x-filters' steps: small tables of what each keeps
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}")
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE lost AS {period.lost()}")
        channel = f" AND channel = {_q(channel)}" if channel else ""
        # Attempts the top-* reports count: of messages the joiner yields, on the channel.
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW att AS SELECT * FROM {self.att} WHERE {self.lost()}{channel}"
        )

    def _map_recipients(self) -> bool:
        """Virtual-domain addresses as sent (Domains.original), for the recipients in the period;
        whether no two of them became one."""
        assert self.domains is not None
        rows = fetch(self.con, "SELECT DISTINCT rkey FROM a0 WHERE rkey IS NOT NULL")
        pairs = [(r, self.domains.original(r)) for (r,) in rows]
        distinct = len({o for _, o in pairs}) == len(pairs)
        pairs = [(r, o) for r, o in pairs if r != o]
        self.con.execute("CREATE OR REPLACE TEMP TABLE rmap (raw VARCHAR, orig VARCHAR)")
        if pairs:
            self.con.executemany("INSERT INTO rmap VALUES (?, ?)", pairs)
            orig = "rmap.orig"
            ids = f", rid = {key_id(orig)}, rdom = {key_id(domain_of(orig))}" if self.p.ids else ""
            self.con.execute(f"UPDATE a0 SET rkey = rmap.orig{ids} FROM rmap WHERE a0.rkey = rmap.raw")
        return distinct

    def sql(self, body: str) -> str:
        return body

    def lost(self) -> str:
        return "mkey NOT IN (SELECT mkey FROM lost)"

    # -- top-* ------------------------------------------------------------------------------
    def arrived(self, key: str = "skey") -> str:
        """Per sender: messages that arrived in the period (k, n, b: their bytes).

        ``key``: the sender's column in ``messages`` (skey, or sid / sdom: load.key_id).
        """
        p = self.p
        on_channel = " AND mkey IN (SELECT mkey FROM att)" if self.channel else ""
        return (
            f"SELECT CASE WHEN {p.known('m')} THEN m.{key} ELSE {_unknown(key)} END AS k, count(*) AS n, "
            f"sum(CASE WHEN {p.known('m')} THEN m.size ELSE 0 END) AS b "
            f"FROM (SELECT * FROM messages WHERE {p.in_period('arrived')} AND {self.keep} "
            f"AND mkey NOT IN ({p.lost()}){on_channel}) m GROUP BY k"
        )

    def bounced(self, key: str = "skey") -> str:
        """Per sender: ``bounce msg`` lines in the period of its messages (k, n)."""
        p = self.p
        failed = "" if self.channel is None else " AND mkey IN (SELECT mkey FROM att WHERE res = 'f')"
        return (
            f"SELECT CASE WHEN {p.known('m')} THEN m.{key} ELSE {_unknown(key)} END AS k, count(*) AS n "
            f"FROM (SELECT * FROM bounces WHERE {p.in_period('label')} AND {self.bounce_keep} "
            f"AND mkey NOT IN ({p.lost()}){failed}) b LEFT JOIN messages m USING (mkey) GROUP BY k"
        )

    def per_message(self) -> str:
        """Per recipient: messages to it, and those of them that are bounces (k, msgs, bounces).

        Messages (and bounces) count once per recipient however often retried: per (recipient,
        message) first, then per recipient (cheaper than DISTINCT aggregates).
        """
        is_bounce = "(known AND sender IN ('', '#@[]'))"
        return (
            "SELECT k, count(*) AS msgs, count(*) FILTER (WHERE b) AS bounces FROM "
            f"(SELECT rkey AS k, mkey, bool_or({is_bounce}) AS b FROM att GROUP BY k, mkey) GROUP BY k"
        )

    def stats(self, name: str, by: str = "recipient") -> Stats:
        """The streaming tools' counters (reports.Stats) of the period, every address of them."""
        sides = sides_for(name, by)
        stats = Stats(self.channel, None, sides)
        codes = {"s": "success", "d": "deferral", "f": "failure"}
        sender_key = "skey"
        if "senders" in sides:
            arrived, bounced = self.arrived(), self.bounced()
            results = (
                f"SELECT {sender_key} AS k, res, count(*) AS n, "
                f"{LATEST} AS last FROM att WHERE res IS NOT NULL GROUP BY k, res"
            )
            senders = stats.senders
            for k, n, b in fetch(self.con, arrived):
                row = senders.setdefault(k, [0] * 6)
                row[0], row[1] = n, int(b or 0)
            for k, n in fetch(self.con, bounced):
                senders.setdefault(k, [0] * 6)[5] = n
            for k, res, n, last in fetch(self.con, results):
                result = codes[res]
                senders.setdefault(k, [0] * 6)[{"success": 2, "deferral": 3, "failure": 4}[result]] = n
                if last is not None:
                    stats.last_sent[(k, result)] = last
        if "recipients" in sides:
            key = "rkey"
            per_message = self.per_message()
            results = (
                f"SELECT {key} AS k, res, count(*) AS n, {LATEST} AS last "
                "FROM att WHERE res IS NOT NULL GROUP BY k, res"
            )
            recipients = stats.recipients
            for k, msgs, bounces in fetch(self.con, per_message):
                row = recipients.setdefault(k, [0] * 5)
                row[0], row[4] = msgs, bounces
            for k, res, n, last in fetch(self.con, results):
                result = codes[res]
                recipients.setdefault(k, [0] * 5)[{"success": 1, "deferral": 2, "failure": 3}[result]] = n
                if last is not None:
                    stats.last_rcvd[(k, result)] = last
        return stats

    def table(self, name: str, by: str = "recipient") -> Table:
        return table(name, self.stats(name, by), by=by)

    def top_series(self, series: Series) -> None:
        self._series(series, "SELECT finished, res FROM att WHERE res IS NOT NULL")

    # -- show-* ---------------------------------------------------------------------------------
    def results(self) -> str:
        """Every result of the (filtered) selection, orphans included when nothing filters."""
        if not self._results:
            self._results = True
            body = (
                "SELECT finished, seq, res, channel, rcpt, msg, known, sender, size "
                f"FROM {self.att} WHERE res IS NOT NULL"
            )
            if not self.rules:
                body += (
                    " UNION ALL SELECT finished, seq, res, NULL, NULL, NULL, FALSE, NULL, 0 "
                    f"FROM ({self.p.orphans()})"
                )
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW results AS {body}")
        return "SELECT * FROM results"

    def show(
        self, results: tuple[str, ...], limit: int | None, offset: int = 0
    ) -> tuple[list[tuple[Any, ...]], int]:
        """(rows in log order, up to ``limit`` after ``offset``; how many there are) of ``results``."""
        wanted = _list(r[0] for r in results)
        self.results()
        rows = fetch(
            self.con,
            "SELECT finished, res, channel, rcpt, sender, size, msg, seq, known "
            f"FROM results WHERE res IN {wanted} ORDER BY seq"
            + (f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""),
        )
        # The reply texts of just these rows (a result's seq is unique in the index).
        texts = dict(
            fetch(
                self.con,
                f"SELECT seq, text FROM seg_attempts WHERE seq IN ({', '.join(str(r[7]) for r in rows) or 'NULL'})",  # noqa: E501
            )
        )
        rows = [(*r[:7], texts.get(r[7]), r[8]) for r in rows]
        total = fetch(self.con, f"SELECT count(*) FROM results WHERE res IN {wanted}")
        return rows, int(total[0][0])

    def show_series(self, series: Series) -> None:
        self._series(series, self.results())

    def _series(self, series: Series, source: str) -> None:
        when = "((finished // 1000000000)::DOUBLE + (finished % 1000000000)::DOUBLE / 1e9)"
        bucket = f"floor(({when} - {series.origin!r}) / {series.bucket!r})::BIGINT"
        index = f"least(greatest({bucket}, 0), {series.size - 1})"
        names = {"s": "success", "d": "deferral", "f": "failure"}
        for res, i, n in fetch(
            self.con,
            f"SELECT res, {index} AS i, count(*) FROM ({source}) GROUP BY res, i",
        ):
            series.counts[names[res]][int(i)] += int(n)

    # -- deferrals by cause -------------------------------------------------------------------
    def causes(self) -> Causes:
        causes = Causes(self.channel, None)
        named: dict[int, str] | None = None
        if self.p.ids:  # domains grouped as integers and named afterwards (keyed.names)
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE cause_rows AS {_causes_sql('rdom')}")
            named = keyed.names(self, "SELECT d FROM cause_rows")
        if named is None:  # on the texts: an older index, or two domains that share a key
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE cause_rows AS {_causes_sql(domain_of('rkey'))}")
        for d, c, deferrals, failures, first, last, example in fetch(self.con, "SELECT * FROM cause_rows"):
            domain = named[d] if named is not None else d
            causes.rows[(domain, c)] = Cause(deferrals, failures, ns_unix(first), ns_unix(last), example)
        return causes


def _causes_sql(domain: str) -> str:
    """Deferrals and failures per (recipient's ``domain``, cause), with the latest reply as example.

    Replies repeat: each distinct one is classified once (the rules are many substring tests), and
    the results are counted per (domain, reply) before they meet the causes: joining every
    result's text to its cause cost 60 % of a whole-log report. The example is the text of the
    result logged last (seq is unique), as arg_max over every row gives it.
    """
    return (
        f"WITH r AS (SELECT {domain} AS rd, text, count(*) FILTER (WHERE res = 'd') AS de, "
        "count(*) FILTER (WHERE res = 'f') AS fa, min(finished) AS first, max(finished) AS last, "
        "max(seq) AS s FROM att WHERE res IN ('d', 'f') GROUP BY rd, text), "
        f"k AS (SELECT text, {cause_sql('text', 'lt')} AS c "
        "FROM (SELECT text, lower(text) AS lt FROM (SELECT DISTINCT text FROM r))) "
        "SELECT rd AS d, c, sum(de)::BIGINT AS deferrals, sum(fa)::BIGINT AS failures, "
        "min(first) AS first, max(last) AS last, arg_max(text, s) AS example "
        "FROM r JOIN k USING (text) GROUP BY d, c"
    )


def _unknown(key: str) -> str:
    return "'?'" if key == "skey" else UNKNOWN


def cause_sql(column: str, lowered: str | None = None) -> str:
    """causes.classify in SQL: the first rule one of whose words the lower-cased text contains.

    ``lowered`` names a column that already holds ``lower(column)`` (lower-cased once per text).
    """
    lower = lowered or f"lower({column})"
    parts = []
    for cause, words in CAUSES:
        test = " OR ".join(f"contains({lower}, {_q(w)})" for w in words)
        parts.append(f"WHEN {test} THEN {_q(cause)}")
    code = f"regexp_extract({column}, 'Remote_host_said:_([0-9])[0-9][0-9]', 1)"
    return (
        f"CASE {' '.join(parts)} WHEN {code} = '4' THEN 'other temporary (4xx)' "
        f"WHEN {code} = '5' THEN 'other permanent (5xx)' ELSE 'other' END"
    )


def rules_for(
    rcpt: tuple[str, ...], sender: tuple[str, ...], owned: set[str] | None, uids: set[int] | None
) -> list[Rule]:
    """The x-filters in the order the agent and a pipeline chain them: rcpt, sender, user, webmail."""
    from ..filters import _address

    rules = []
    if rcpt:
        rules.append(Rule("rcpt", {_address(a) for a in rcpt}))
    if sender:
        rules.append(Rule("sender", {_address(a) for a in sender}))
    if owned is not None:
        rules.append(Rule("owner", set(owned)))
    if uids is not None:
        rules.append(Rule("uid", uids=set(uids)))
    return rules


Reader = Callable[[], Report]
