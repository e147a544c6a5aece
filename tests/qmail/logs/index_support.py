"""The same report twice: from the streaming tools (the selectors' chunks, the x-filters, the
operators' counting) and from the delivery index, for the tests that hold them equal."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mailserver.qmail.logs import filters as x
from mailserver.qmail.logs.causes import Causes
from mailserver.qmail.logs.deliveries.follow import Follower
from mailserver.qmail.logs.deliveries.query import Period
from mailserver.qmail.logs.deliveries.reports import Report, rules_for
from mailserver.qmail.logs.deliveries.store import Store
from mailserver.qmail.logs.domains import Domains
from mailserver.qmail.logs.index import IndexCache
from mailserver.qmail.logs.messages import messages
from mailserver.qmail.logs.reports import Stats, show, sides_for, table
from mailserver.qmail.logs.selection import select
from mailserver.qmail.logs.series import Series

LOOKBACK = 8 * 86400.0
TOPS = (
    "top-senders",
    "top-recipients",
    "top-deferrals",
    "top-failures",
    "top-user-stats",
    "top-domain-stats",
)


def build(log_dir: Path, where: Path, workers: int = 1) -> Store:
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(mode=0o700, parents=True)
    store = Store(where)
    follower = Follower(log_dir, store, workers=workers)
    follower.start()
    follower.close()
    return store


class Both:
    """One period with the same filters, read both ways."""

    def __init__(
        self, log_dir: Path, store: Store, cache: Path, start: float, end: float, *,
        rcpt: tuple[str, ...] = (), sender: tuple[str, ...] = (), owned: set[str] | None = None,
        uids: set[int] | None = None, domains: Domains | None = None,
    ) -> None:  # fmt: skip
        self.log_dir, self.cache, self.start, self.end = log_dir, cache, start, end
        self.domains = domains or Domains()
        self.rules: list[x.Rule] = []
        if rcpt:
            self.rules.append(x.by_recipient(rcpt, self.domains))
        if sender:
            self.rules.append(x.by_sender(sender))
        if owned is not None:
            self.rules.append(x.by_owner(owned))
        if uids is not None:
            self.rules.append(x.by_uid(uids))
        manifest = store.manifest()
        assert manifest is not None
        self.period = Period(store.root, manifest, start, end, LOOKBACK)
        self.sql_rules = rules_for(rcpt, sender, owned, uids)

    def chunks(self) -> Iterable[bytes]:
        selection = select(
            self.log_dir, self.start, self.end, lookback=LOOKBACK, cache=IndexCache(self.log_dir, self.cache)
        )
        chunks: Iterable[bytes] = list(selection.chunks())
        selection.log.close()
        for rule in self.rules:
            chunks = list(x.apply(chunks, rule))
        return chunks

    def report(self, channel: str | None) -> Report:
        return Report(self.period, self.sql_rules, channel, self.domains)

    def top(self, name: str, channel: str | None, by: str = "recipient") -> tuple[Any, Any]:
        stats = Stats(channel, self.domains, sides_for(name, by)).add_all(messages(self.chunks()))
        streamed = table(name, stats, by=by).sort()
        indexed = self.report(channel).table(name, by).sort()
        return (streamed.columns, streamed.rows), (indexed.columns, indexed.rows)

    def causes(self, channel: str | None) -> tuple[Any, Any]:
        streamed = Causes(channel, self.domains).add_all(messages(self.chunks())).table().sort()
        indexed = self.report(channel).causes().table().sort()
        return streamed.rows, indexed.rows

    def show(self) -> tuple[Any, Any]:
        streamed = [
            (row.when, row.result, row.channel, row.recipient, row.sender, row.size, row.msg, row.text)
            for row in show(self.chunks())
        ]
        rows, total = self.report(None).show(("success", "deferral", "failure"), None)
        from mailserver.qmail.logs.deliveries.query import ns_unix

        names = {"s": "success", "d": "deferral", "f": "failure"}
        indexed = [
            (
                ns_unix(f),
                names[r],
                c or "?",
                rcpt or "?",
                (s if known else None),
                (size if known else 0),
                m,
                t,
            )
            for f, r, c, rcpt, s, size, m, t, known in rows
        ]
        assert total == len(indexed)
        return streamed, indexed

    def series(self, top: str | None = None, channel: str | None = None) -> tuple[Any, Any]:
        a, b = Series(self.start, self.end), Series(self.start, self.end)
        if top is None:
            for row in show(self.chunks()):
                a.add(row.when, row.result)
            self.report(None).show_series(b)
        else:
            from mailserver.qmail.logs.tai64n import label_unix

            for message in messages(self.chunks()):
                for attempt in message.attempts:
                    if attempt.result and (channel is None or attempt.channel == channel):
                        a.add(label_unix(attempt.finished), attempt.result)
            self.report(channel).top_series(b)
        return a.as_dict(), b.as_dict()

    def close(self) -> None:
        self.period.close()
