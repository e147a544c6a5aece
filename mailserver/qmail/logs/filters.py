"""The x-filters: keep messages by recipient, sender, owning Unix user or webmail uid.

A filter sits between a selector and an operator and passes raw lines on. It keeps whole
messages - ``new msg``, ``info msg`` (sender, size), ``bounce msg``, ``end msg`` - so the
operator after it still knows who sent a kept message and how big it was. Recipient filters
(xrcpt, and xuser for mail from outside) drop the *deliveries* to other recipients of a kept
message: "only that recipient" is what the admin asked for.

Bounces follow the deliveries: when a filter narrows a message to some of its recipients, its
``bounce msg`` (and ``triple bounce``) line is kept only if one of the kept deliveries failed.
A bounce caused by a failure to another recipient is not the kept recipient's, and passing it
on would make ``xrcpt alice@… | top-senders`` credit the sender with bounces alice never caused.
A message the filter keeps whole (xsend, xwebmail, xuser for mail from the user's domains) keeps
its bounce lines as they are.

Lines of a message are held back until its verdict is known, then handed on together; after
that they stream. The order therefore shifts a little, which the joiner allows for (it pairs
deliveries by the stamp's qmail-send run, not by stream position). ``status: exiting`` lines
always pass: downstream needs them to tell runs apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .domains import Domains, domain_matches
from .messages import (
    ALERT,
    BOUNCE,
    END,
    EXITING,
    RESULT,
    START,
    TRIPLE,
    WARNING,
    Attempt,
    Joiner,
    Message,
    batches,
)

# A verdict on what is known of a message so far: True keep, False drop, None not yet known.
Verdict = bool | None
_PASS = frozenset((EXITING, ALERT, WARNING))
Traced = tuple[int, Message | None, Attempt | None]  # what the joiner says about one line


@dataclass(frozen=True)
class Rule:
    """``verdict`` decides on a message; ``keeps`` picks the deliveries of a kept one (default all)."""

    verdict: Callable[[Message], Verdict]
    keeps: Callable[[Message, Attempt], bool] | None = None


def _address(value: str) -> str:
    value = value.strip().lower()
    return value[1:-1] if value.startswith("<") and value.endswith(">") else value


def by_recipient(addresses: Iterable[str], domains: Domains | None = None) -> Rule:
    """``xrcpt``: deliveries to these addresses (virtual-domain addresses as sent or as logged)."""
    wanted = {_address(a) for a in addresses}
    original = domains.original if domains and domains.virtual else None

    def matches(attempt: Attempt) -> bool:
        rcpt = attempt.recipient.lower()
        return rcpt in wanted or (original is not None and original(rcpt) in wanted)

    def verdict(message: Message) -> Verdict:
        return True if any(matches(a) for a in message.attempts) else None  # a later one may match

    return Rule(verdict, lambda _message, attempt: matches(attempt))


def by_sender(addresses: Iterable[str]) -> Rule:
    """``xsend``; ``<>`` (or an empty argument) selects bounces, which have the null sender."""
    wanted = {_address(a) for a in addresses}
    return Rule(lambda m: None if m.sender is None else m.sender.lower() in wanted)


def by_owner(owned: set[str]) -> Rule:
    """``xuser``: mail from the domains in ``owned`` (all of it), mail to them (those deliveries)."""

    def own_sender(message: Message) -> bool:
        return bool(message.sender) and domain_matches(str(message.sender).rpartition("@")[2], owned)

    def own_rcpt(attempt: Attempt) -> bool:
        return domain_matches(attempt.recipient.rpartition("@")[2], owned)

    def verdict(message: Message) -> Verdict:
        return True if own_sender(message) or any(map(own_rcpt, message.attempts)) else None

    return Rule(verdict, lambda message, attempt: own_sender(message) or own_rcpt(attempt))


def by_uid(uids: set[int]) -> Rule:
    """``xwebmail``: messages injected by the webmail's uid(s) (the ``uid`` of ``info msg``)."""
    return Rule(lambda m: None if m.sender is None else m.uid in uids)


def keeps_bounce(message: Message, keeps: Callable[[Message, Attempt], bool] | None) -> bool:
    """Whether a kept message's bounce stays: it is not narrowed, or a kept delivery failed."""
    if keeps is None:
        return True
    narrowed = False
    for attempt in message.attempts:
        if keeps(message, attempt):
            if attempt.result == "failure":
                return True
        else:
            narrowed = True
    return not narrowed


class _Sifter:
    """The state of one filter run: what is known about each open message, and held lines."""

    def __init__(self, rule: Rule) -> None:
        self.verdict, self.keeps = rule.verdict, rule.keeps
        # Open messages by verdict (Message hashes by identity); all forgotten at `end msg`.
        self.kept: set[Message] = set()
        self.dropped: set[Message] = set()
        self.held: dict[Message, list[tuple[bytes, int, Attempt | None]]] = {}

    def _passes(self, message: Message, kind: int, attempt: Attempt | None) -> bool:
        """Whether a line of a kept message goes on: deliveries and bounces as ``keeps`` says."""
        keeps = self.keeps
        if keeps is None:
            return True
        if attempt is not None:
            return keeps(message, attempt)
        if kind in (BOUNCE, TRIPLE):
            return keeps_bounce(message, keeps)
        return True

    def sift(self, lines: list[bytes], trace: list[Traced], out: list[bytes]) -> None:
        kept, dropped, held, passes = self.kept, self.dropped, self.held, self._passes
        for line, (kind, message, attempt) in zip(lines, trace, strict=True):
            if message is None:
                if kind in _PASS:
                    out.append(line)
                continue
            if kind != START and kind != RESULT:
                attempt = None
            if message in kept:
                if passes(message, kind, attempt):
                    out.append(line)
            elif message not in dropped:
                decided = self.verdict(message)
                if decided is None:
                    held.setdefault(message, []).append((line, kind, attempt))
                elif decided:
                    kept.add(message)
                    for old, old_kind, old_attempt in [*held.pop(message, ()), (line, kind, attempt)]:
                        if passes(message, old_kind, old_attempt):
                            out.append(old)
                else:
                    dropped.add(message)
                    held.pop(message, None)
            if kind == END:  # the message is gone; one still undecided never matched
                kept.discard(message)
                dropped.discard(message)
                held.pop(message, None)


def apply(chunks: Iterable[bytes], rule: Rule) -> Iterator[bytes]:
    """Raw lines of the messages (and deliveries) ``rule`` keeps, as blocks ending in newlines."""
    joiner, sifter = Joiner(), _Sifter(rule)
    trace: list[Traced] = []
    out: list[bytes] = []
    for lines in batches(chunks):  # small batches: the trace keeps their messages alive
        trace.clear()
        joiner.feed_block(lines, trace=trace)
        sifter.sift(lines, trace, out)
        if len(out) > 4096:
            out.append(b"")
            yield b"\n".join(out)
            out.clear()
    if out:
        out.append(b"")
        yield b"\n".join(out)


def messages(chunks: Iterable[bytes], rule: Rule) -> Iterator[Message]:
    """The API form: Message objects the rule keeps, with only the deliveries it keeps."""
    from .messages import messages as all_messages

    for message in all_messages(chunks):
        if rule.verdict(message):
            if rule.keeps is not None:
                if not keeps_bounce(message, rule.keeps):
                    message.bounces, message.triple_bounce = [], False
                message.attempts = [a for a in message.attempts if rule.keeps(message, a)]
            yield message
