"""Deferrals and failures by cause: what an admin looks at when a big provider starts refusing mail.

Each deferral or failure is grouped by the recipient's domain and by what the remote server (or
qmail-local) said, classified by the words of the reply as qmail logged it (escaped: ``_`` for
a space): greylisting and rate limits (421/450/451/452 replies that ask to come back later),
connections that could not be made or died, DNS failures, unknown recipients, full mailboxes,
policy and spam rejections, local delivery problems. A reply no rule knows falls back on its SMTP
code class. A failure after queuelifetime carries the reason of the deferrals before it, so it is
counted under that cause. The same rules run in SQL for the delivery index (deliveries/reports.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .domains import Domains
from .messages import Message
from .records import readable
from .reports import Table
from .tai64n import label_unix

# (cause, words): the first rule with a word the lower-cased reply contains. Order matters.
CAUSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rate limit", ("rate_limit", "ratelimit", "rate-limit", "too_many", "too_much", "throttl",
                    "unusual_rate", "temporarily_deferred", "4.7.28", "sending_rate")),
    ("greylisting", ("greylist", "graylist", "grey_list", "gray_list", "postgrey", "try_again_later",
                     "please_try_later", "try_later")),
    ("mailbox full", ("mailbox_full", "mailbox_is_full", "over_quota", "overquota", "quota_exceeded",
                      "insufficient_storage", "4.2.2", "5.2.2")),
    ("connection failed", ("wasn't_able_to_establish", "connection_refused", "no_route_to_host",
                           "network_is_unreachable")),
    ("timeout or connection lost", ("timed_out", "timeout", "connection_died", "connection_reset")),
    ("DNS", ("couldn't_find_any_host", "cname_lookup_failed", "couldn't_find_a_mail_exchanger",
             "no_host_by_that_name", "host_not_found", "name_server", "dns")),
    ("message too big", ("5.3.4", "too_big", "too_large", "size_exceeds", "databytes")),
    ("unknown recipient", ("5.1.1", "user_unknown", "unknown_user", "no_such_user", "no_mailbox_here",
                           "does_not_exist", "recipient_not_found", "mailbox_unavailable",
                           "invalid_recipient")),
    ("refused by .qmail", ("no_longer_accepts",)),
    ("local delivery", ("maildir", "qmail-local", "unable_to_", "disk_quota")),
    ("policy or spam", ("spam", "blocked", "blacklist", "blocklist", "listed", "5.7.", "policy",
                        "denied", "not_allowed", "relay")),
)  # fmt: skip
_CODE = re.compile(r"Remote_host_said:_([0-9])[0-9][0-9]")
COLUMNS = ["domain", "cause", "deferrals", "failures", "first_seen", "last_seen", "example"]


def classify(text: str) -> str:
    lower = text.lower()
    for cause, words in CAUSES:
        if any(word in lower for word in words):
            return cause
    code = _CODE.search(text)
    if code and code.group(1) == "4":
        return "other temporary (4xx)"
    if code and code.group(1) == "5":
        return "other permanent (5xx)"
    return "other"


@dataclass(slots=True)
class Cause:
    deferrals: int
    failures: int
    first: float  # unix time of the first and last result
    last: float
    example: str  # the reply logged last (escaped as logged)


class Causes:
    """(domain, cause) -> counts, first and last seen, an example reply."""

    def __init__(self, channel: str | None = None, domains: Domains | None = None) -> None:
        self.channel = channel
        self.original = domains.original if domains is not None and domains.virtual else None
        self.rows: dict[tuple[str, str], Cause] = {}
        self._latest: dict[tuple[str, str], int] = {}

    def add(self, message: Message) -> None:
        for attempt in message.attempts:
            if attempt.result not in ("deferral", "failure"):
                continue
            if self.channel is not None and attempt.channel != self.channel:
                continue
            rcpt = attempt.recipient.lower()
            if self.original is not None:
                rcpt = self.original(rcpt)
            domain = rcpt.rpartition("@")[2] if "@" in rcpt else rcpt
            key = (domain, classify(attempt.text))
            when = label_unix(attempt.finished)
            row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = Cause(0, 0, when, when, attempt.text)
            if attempt.result == "deferral":
                row.deferrals += 1
            else:
                row.failures += 1
            row.first, row.last = min(row.first, when), max(row.last, when)
            if attempt.order > self._latest.get(key, -1):  # the reply logged last
                self._latest[key] = attempt.order
                row.example = attempt.text

    def add_all(self, messages: Iterable[Message]) -> Causes:
        for message in messages:
            self.add(message)
        return self

    def table(self) -> Table:
        rows: list[list[str | int]] = [
            [domain, cause, r.deferrals, r.failures, int(r.first), int(r.last), readable(r.example)]
            for (domain, cause), r in self.rows.items()
        ]
        return Table(list(COLUMNS), rows, "deferrals")
