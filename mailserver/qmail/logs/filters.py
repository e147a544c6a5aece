"""The x-filters: keep whole messages by recipient, sender, owning Unix user or webmail uid.

A filter sits between a selector and an operator and passes raw lines on, so the operator still
sees a kept message's ``info msg`` (sender, size) even when only a later ``starting delivery``
line made the message match. Lines of a message are held back until its verdict is known, then
handed on together; after that they stream. The order therefore shifts a little, which the
joiner allows for (it pairs deliveries by the stamp's qmail-send run, not by stream position).
``status: exiting`` lines always pass: downstream needs them to tell runs apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from .domains import Domains, domain_matches
from .messages import ALERT, END, EXITING, WARNING, Joiner, Message, split_lines

# A verdict on what is known of a message so far: True keep, False drop, None not yet known.
Verdict = bool | None
Predicate = Callable[[Message], Verdict]
_PASS = frozenset((EXITING, ALERT, WARNING))


def _address(value: str) -> str:
    value = value.strip().lower()
    return value[1:-1] if value.startswith("<") and value.endswith(">") else value


def by_recipient(addresses: Iterable[str], domains: Domains | None = None) -> Predicate:
    wanted = {_address(a) for a in addresses}
    original = domains.original if domains and domains.virtual else None

    def verdict(message: Message) -> Verdict:
        for attempt in message.attempts:
            rcpt = attempt.recipient.lower()
            if rcpt in wanted or (original is not None and original(rcpt) in wanted):
                return True
        return None  # a later delivery may still be to one of them

    return verdict


def by_sender(addresses: Iterable[str]) -> Predicate:
    """``xsend``; ``<>`` (or an empty argument) selects bounces, which have the null sender."""
    wanted = {_address(a) for a in addresses}

    def verdict(message: Message) -> Verdict:
        return None if message.sender is None else message.sender.lower() in wanted

    return verdict


def by_owner(owned: set[str]) -> Predicate:
    """``xuser``: mail from or to any domain in ``owned`` (see Domains.owned_by)."""

    def verdict(message: Message) -> Verdict:
        if message.sender and domain_matches(message.sender.rpartition("@")[2], owned):
            return True
        if any(domain_matches(a.recipient.rpartition("@")[2], owned) for a in message.attempts):
            return True
        return None

    return verdict


def by_uid(uids: set[int]) -> Predicate:
    """``xwebmail``: messages injected by the webmail's uid(s) (the ``uid`` of ``info msg``)."""

    def verdict(message: Message) -> Verdict:
        return None if message.sender is None else message.uid in uids

    return verdict


def apply(chunks: Iterable[bytes], keep: Predicate) -> Iterator[bytes]:
    """Raw lines of the messages ``keep`` accepts (blocks ending with newlines)."""
    joiner = Joiner()
    feed = joiner.feed
    kept: set[int] = set()  # id() of open messages known to match
    dropped: set[int] = set()
    held: dict[int, list[bytes]] = {}
    for lines in split_lines(chunks):
        out: list[bytes] = []
        for line in lines:
            message = feed(line)
            if message is None:
                if joiner.kind in _PASS:
                    out.append(line)
                continue
            key = id(message)
            if key in kept:
                out.append(line)
            elif key not in dropped:
                verdict = keep(message)
                if verdict:
                    kept.add(key)
                    out.extend(held.pop(key, ()))
                    out.append(line)
                elif verdict is None:
                    held.setdefault(key, []).append(line)
                else:
                    dropped.add(key)
                    held.pop(key, None)
            if joiner.kind == END:  # the message is gone; an undecided one never matched
                kept.discard(key)
                dropped.discard(key)
                held.pop(key, None)
        if out:
            out.append(b"")
            yield b"\n".join(out)


def messages(chunks: Iterable[bytes], keep: Predicate) -> Iterator[Message]:
    """The API form: whole Message objects that ``keep`` accepts (for the web page)."""
    from .messages import messages as all_messages

    for message in all_messages(chunks):
        if keep(message):
            yield message
