"""QMAILQUEUE for the SMTP service: which program qmail-smtpd hands each message to.

qmail-smtpd runs ``$QMAILQUEUE`` instead of qmail-queue when the variable is set, which is
how simscan filters mail during SMTP. Only processes carrying the variable are filtered, so
it belongs in the SMTP service's tcprules (``/etc/tcp.smtp``): tcpserver sets it for each
connection an ``allow`` rule matches, reading the cdb anew per connection, so a change is
live as soon as ``tcprules`` has rebuilt the cdb, without a restart::

    127.0.0.1:allow,RELAYCLIENT="",QMAILQUEUE="/var/qmail/bin/simscan"
    :allow,QMAILQUEUE="/var/qmail/bin/simscan"

tcprules reads the character after ``=`` as the value's quote, whatever it is (so an
unquoted ``/var/qmail/bin/simscan`` would read as ``var``); ``deny`` rules carry no variables.
Pointing QMAILQUEUE at a program that is not there makes every message fail
with "qq temporary problem", so the variable is only ever set to an installed simscan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VARIABLE = "QMAILQUEUE"


@dataclass(frozen=True)
class Rule:
    address: str
    action: str  # "allow" or "deny"
    variables: tuple[tuple[str, str], ...]


def parse_rule(line: str) -> Rule | None:
    """One tcprules line; None for comments, blanks and lines tcprules would refuse."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    address, sep, rest = text.partition(":")
    if not sep:
        return None
    action, _, rest = rest.partition(",")
    if action not in ("allow", "deny"):
        return None
    variables: list[tuple[str, str]] = []
    while rest:
        # tcprules takes the character after "=" as the quote and reads to its next occurrence.
        name, eq, rest = rest.partition("=")
        if not eq or not rest or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            return None
        end = rest.find(rest[0], 1)
        if end < 0:
            return None
        value, rest = rest[1:end], rest[end + 1 :]
        if rest and not rest.startswith(","):
            return None
        rest = rest[1:]
        variables.append((name, value))
    return Rule(address, action, tuple(variables))


def _quoted(value: str) -> str:
    quote = next(ch for ch in "\"'%|#~" if ch not in value)
    return f"{quote}{value}{quote}"


def render_rule(rule: Rule) -> str:
    parts = [f"{rule.address}:{rule.action}", *(f"{name}={_quoted(value)}" for name, value in rule.variables)]
    return ",".join(parts)


@dataclass(frozen=True)
class QueueHook:
    allow_rules: int
    with_variable: int  # allow rules that set QMAILQUEUE
    values: tuple[str, ...]  # the distinct programs they name
    unreadable: tuple[str, ...]  # lines the panel cannot read (left alone)

    def everywhere(self, program: str) -> bool:
        """Every connection tcpserver allows hands its mail to ``program``."""
        return self.allow_rules > 0 and self.with_variable == self.allow_rules and self.values == (program,)


def read_hook(text: str) -> QueueHook:
    allow = with_variable = 0
    values: dict[str, None] = {}
    unreadable = []
    for line in text.split("\n"):
        rule = parse_rule(line)
        if rule is None:
            if line.strip() and not line.strip().startswith("#"):
                unreadable.append(line.strip())
            continue
        if rule.action != "allow":
            continue
        allow += 1
        found = [value for name, value in rule.variables if name == VARIABLE]
        if found:
            with_variable += 1
            values.setdefault(found[-1], None)
    return QueueHook(allow, with_variable, tuple(values), tuple(unreadable))


def with_hook(text: str, program: str | None) -> str:
    """``text`` with every allow rule setting QMAILQUEUE to ``program`` (None: removing it).

    Comments, deny rules and lines the panel cannot read stay exactly as they were.
    """
    out = []
    for line in text.split("\n"):
        rule = parse_rule(line)
        if rule is None or rule.action != "allow":
            out.append(line)
            continue
        variables = [(name, value) for name, value in rule.variables if name != VARIABLE]
        if program is not None:
            variables.append((VARIABLE, program))
        out.append(render_rule(Rule(rule.address, rule.action, tuple(variables))))
    return "\n".join(out)
