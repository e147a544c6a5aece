"""Values qmail accepts but an admin rarely means: the MTA page asks before saving them.

Each rule takes the exact integer qmail would read and returns the sentence the box shows
beside the field (why it is unusual, and what is usual), or None for an ordinary value.
"""

from __future__ import annotations

from mailserver.core.sections import units

_SMALLEST_MESSAGE = 10 * 1024  # a plain text message with headers is a few KB; any attachment, far more
_SHORTEST_LIFETIME = 3600
_SHORTEST_TIMEOUT = 30


def message_size(size: int) -> str | None:
    if size == 0 or size >= _SMALLEST_MESSAGE:
        return None
    shown = f"{size} bytes" if size < 1024 else f"{size} bytes ({size / 1024:.1f} KB)"
    return (
        f"A limit of {shown} is smaller than almost every message: qmail-smtpd would refuse nearly all "
        "mail with 552. Usual limits are 10 MB to 50 MB; 0 means no limit."
    )


def queue_lifetime(seconds: int) -> str | None:
    if seconds >= _SHORTEST_LIFETIME:
        return None
    within = (
        "at its first failed attempt"
        if seconds == 0
        else f"within {units.describe(seconds, units.SECONDS)[2:]}"
    )
    return (
        f"Mail qmail cannot deliver {within} would bounce: a receiving server that is down for a while, or "
        "greylisting that asks to retry later, would send your users' mail back. qmail's default is one "
        "week (604800 seconds)."
    )


def _timeout(who: str, waits_for: str, seconds: int) -> str | None:
    if seconds >= _SHORTEST_TIMEOUT:
        return None
    return (
        f"{who} would give up when {waits_for} takes more than {seconds} seconds, which slow links and busy "
        "servers often do. qmail's default is 1200 (20 minutes)."
    )


def smtpd_timeout(seconds: int) -> str | None:
    return _timeout("qmail-smtpd", "a client's next command", seconds)


def remote_timeout(seconds: int) -> str | None:
    return _timeout("qmail-remote", "the receiving server's reply", seconds)


def remote_concurrency(count: int) -> str | None:
    if count:
        return None
    return "0 outbound connections holds all mail for other servers in the queue until you raise it."
