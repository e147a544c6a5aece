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
from .query import Period, Rule, _domain, _list, _q, fetch, ns_unix

# The text of the result logged last (the greater text when two share a stamp), as Stats keeps it.
LATEST = "max({'f': finished, 't': text}) FILTER (WHERE res != 's')"


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
        self.rcpt_key = "lower(rcpt)"
        if self.domains is not None:
            self._map_recipients()
        self.ctes, self.att, keep = period.filtered(rules, self.rcpt_key)
        self.keep, self.bounce_keep = keep.split("|")

    def _map_recipients(self) -> None:
        """Virtual-domain addresses as sent (Domains.original), for the recipients in the period."""
        assert self.domains is not None
        rows = fetch(
            self.con, f"SELECT DISTINCT lower(rcpt) FROM ({self.p.attempts()}) WHERE rcpt IS NOT NULL"
        )
        pairs = [(r, self.domains.original(r)) for (r,) in rows]
        pairs = [(r, o) for r, o in pairs if r != o]
        self.con.execute("CREATE TEMP TABLE rmap (raw VARCHAR, orig VARCHAR)")
        if pairs:
            self.con.executemany("INSERT INTO rmap VALUES (?, ?)", pairs)
        self.rcpt_key = "coalesce((SELECT orig FROM rmap WHERE raw = lower(rcpt)), lower(rcpt))"

    def sql(self, body: str) -> str:
        return "WITH " + ",\n".join(self.ctes) + "\n" + body

    def lost(self) -> str:
        return f"mkey NOT IN ({self.p.lost()})"

    def top_attempts(self) -> str:
        """Attempts the top-* reports count: of messages the joiner yields, on the channel."""
        channel = f" AND channel = {_q(self.channel)}" if self.channel else ""
        return f"SELECT * FROM {self.att} WHERE {self.lost()}{channel}"

    # -- top-* ------------------------------------------------------------------------------
    def stats(self, name: str, by: str = "recipient") -> Stats:
        sides = sides_for(name, by)
        stats = Stats(self.channel, None, sides)
        codes = {"s": "success", "d": "deferral", "f": "failure"}
        p = self.p
        sender_key = (
            "CASE WHEN known THEN (CASE WHEN sender = '' THEN '<>' ELSE lower(sender) END) ELSE '?' END"
        )
        att = f"att AS MATERIALIZED ({self.top_attempts()})"
        if "senders" in sides:
            on_channel = " AND mkey IN (SELECT mkey FROM att)" if self.channel else ""
            address = "(CASE WHEN m.sender = '' THEN '<>' ELSE lower(m.sender) END)"
            msg_key = f"CASE WHEN {p.known('m')} THEN {address} ELSE '?' END"
            arrived = (
                f"SELECT {msg_key} AS k, count(*) AS n, "
                f"sum(CASE WHEN {p.known('m')} THEN m.size ELSE 0 END) AS b "
                f"FROM (SELECT * FROM messages WHERE {p.in_period('arrived')} AND {self.keep} "
                f"AND mkey NOT IN ({p.lost()}){on_channel}) m GROUP BY k"
            )
            failed = "" if self.channel is None else " AND mkey IN (SELECT mkey FROM att WHERE res = 'f')"
            bounced = (
                f"SELECT {msg_key} AS k, count(*) AS n FROM (SELECT * FROM bounces "
                f"WHERE {p.in_period('label')} AND {self.bounce_keep} "
                f"AND mkey NOT IN ({p.lost()}){failed}) b "
                "LEFT JOIN messages m USING (mkey) GROUP BY k"
            )
            results = (
                f"SELECT {sender_key} AS k, res, count(*) AS n, "
                f"{LATEST} AS last FROM att WHERE res IS NOT NULL GROUP BY k, res"
            )
            senders = stats.senders
            for k, n, b in fetch(self.con, self.sql(f", {att} {arrived}")):
                row = senders.setdefault(k, [0] * 6)
                row[0], row[1] = n, int(b or 0)
            for k, n in fetch(self.con, self.sql(f", {att} {bounced}")):
                senders.setdefault(k, [0] * 6)[5] = n
            for k, res, n, last in fetch(self.con, self.sql(f", {att} {results}")):
                result = codes[res]
                senders.setdefault(k, [0] * 6)[{"success": 2, "deferral": 3, "failure": 4}[result]] = n
                if last is not None:
                    stats.last_sent[(k, result)] = last["t"]
        if "recipients" in sides:
            key = self.rcpt_key
            is_bounce = "(known AND sender IN ('', '#@[]'))"
            per_message = (
                f"SELECT {key} AS k, count(DISTINCT mkey) AS msgs, "
                f"count(DISTINCT mkey) FILTER (WHERE {is_bounce}) AS bounces FROM att GROUP BY k"
            )
            results = (
                f"SELECT {key} AS k, res, count(*) AS n, {LATEST} AS last "
                "FROM att WHERE res IS NOT NULL GROUP BY k, res"
            )
            recipients = stats.recipients
            for k, msgs, bounces in fetch(self.con, self.sql(f", {att} {per_message}")):
                row = recipients.setdefault(k, [0] * 5)
                row[0], row[4] = msgs, bounces
            for k, res, n, last in fetch(self.con, self.sql(f", {att} {results}")):
                result = codes[res]
                recipients.setdefault(k, [0] * 5)[{"success": 1, "deferral": 2, "failure": 3}[result]] = n
                if last is not None:
                    stats.last_rcvd[(k, result)] = last["t"]
        return stats

    def table(self, name: str, by: str = "recipient") -> Table:
        return table(name, self.stats(name, by), by=by)

    def top_series(self, series: Series) -> None:
        self._series(series, f"SELECT finished, res FROM ({self.top_attempts()}) WHERE res IS NOT NULL")

    # -- show-* ---------------------------------------------------------------------------------
    def results(self) -> str:
        """Every result of the (filtered) selection, orphans included when nothing filters."""
        body = (
            "SELECT finished, seq, res, channel, rcpt, msg, known, sender, size, text "
            f"FROM {self.att} WHERE res IS NOT NULL"
        )
        if not self.rules:
            body += (
                " UNION ALL SELECT finished, seq, res, NULL, NULL, NULL, FALSE, NULL, 0, text "
                f"FROM ({self.p.orphans()})"
            )
        return body

    def show(self, results: tuple[str, ...], limit: int | None) -> tuple[list[tuple[Any, ...]], int]:
        """(rows in log order, up to ``limit``; how many there are) of results in ``results``."""
        wanted = _list(r[0] for r in results)
        rows = fetch(
            self.con,
            self.sql(
                f", r AS ({self.results()}) "
                "SELECT finished, res, channel, rcpt, sender, size, msg, text, known "
                f"FROM r WHERE res IN {wanted} ORDER BY seq"
                + (f" LIMIT {int(limit)}" if limit is not None else "")
            ),
        )
        total = fetch(
            self.con, self.sql(f", r AS ({self.results()}) SELECT count(*) FROM r WHERE res IN {wanted}")
        )
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
            self.sql(f", src AS ({source}) SELECT res, {index} AS i, count(*) FROM src GROUP BY res, i"),
        ):
            series.counts[names[res]][int(i)] += int(n)

    # -- deferrals by cause -------------------------------------------------------------------
    def causes(self) -> Causes:
        causes = Causes(self.channel, None)
        case = cause_sql("text")
        key = self.rcpt_key
        body = (
            f"SELECT {_domain(key)} AS d, {case} AS c, count(*) FILTER (WHERE res = 'd') AS deferrals, "
            f"count(*) FILTER (WHERE res = 'f') AS failures, min(finished) AS first, max(finished) AS last, "
            f"max({{'f': finished, 't': text}}).t AS example FROM att WHERE res IN ('d', 'f') GROUP BY d, c"
        )
        for d, c, deferrals, failures, first, last, example in fetch(
            self.con, self.sql(f", att AS MATERIALIZED ({self.top_attempts()}) {body}")
        ):
            causes.rows[(d, c)] = Cause(deferrals, failures, ns_unix(first), ns_unix(last), example)
        return causes


def cause_sql(column: str) -> str:
    """causes.classify in SQL: the first rule one of whose words the lower-cased text contains."""
    parts = []
    for cause, words in CAUSES:
        test = " OR ".join(f"contains(lower({column}), {_q(w)})" for w in words)
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
