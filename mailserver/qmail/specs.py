"""The control files the panel manages: how each is read, its default, who reads it, its check."""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .addresses import check_badmailfrom, check_greeting, check_hostname, check_rcpthost, check_user
from .badrcptto import check_badrcptto
from .smtproutes import check_line as check_route
from .virtualdomains import check_line as check_virtualdomain

Kind = Literal["line", "number", "list"]
INT_MAX = 2**31 - 1
MAX_INCOMING = 1000  # tcpserver has no cap, but each connection is a qmail-smtpd process


class TakesEffect(enum.Enum):
    IMMEDIATE = "immediate"  # read per SMTP connection or per delivery: nothing to do
    SEND_RESTART = "send_restart"  # qmail-send reads it at start: svc -t qmail-send
    SEND_HUP = "send_hup"  # qmail-send rereads it on HUP (locals, virtualdomains): svc -h
    SMTPD_RESTART = "smtpd_restart"  # used by the smtpd run script: svc -t the smtpd service


class Default(enum.Enum):
    ME = "me"  # a missing file means "the value of control/me"


@dataclass(frozen=True)
class NumberRange:
    minimum: int
    maximum: int | None  # None = conf-spawn, known only on the mail host
    what: str  # how messages name the value: "Timeout"
    unit: str = ""  # "seconds", "bytes"
    note: str = ""  # appended to the range: " (0 means no limit)"
    why_max: str = ""


@dataclass(frozen=True)
class ControlSpec:
    name: str
    kind: Kind
    label: str
    default: str | int | tuple[str, ...] | Default | None  # None: no default, see when_missing
    readers: tuple[str, ...]
    takes_effect: TakesEffect
    validator: Callable[[str], str] | None = None  # one line, or one list entry
    number: NumberRange | None = None
    when_missing: str = ""
    removable: bool = True  # False where deleting the file breaks the server


def _host(what: str) -> Callable[[str], str]:
    return functools.partial(check_hostname, what=what, need_dot=True)


def _user(what: str, host_field: str) -> Callable[[str], str]:
    return functools.partial(check_user, what=what, host_field=host_field)


_SEND, _SMTPD, _REMOTE, _INJECT = ("qmail-send",), ("qmail-smtpd",), ("qmail-remote",), ("qmail-inject",)
_SPAWN_WHY = "qmail-send silently lowers anything above conf-spawn ({maximum}) on this server."
_T = TakesEffect

SPECS: dict[str, ControlSpec] = {spec.name: spec for spec in [
    ControlSpec("me", "line", "Mail Server Hostname (FQDN)", None, _SEND + _SMTPD + _REMOTE + _INJECT,
                _T.SEND_RESTART, _host("The host name"), removable=False,
                when_missing="every file that defaults to me loses its value; without smtpgreeting, "
                             'qmail-smtpd answers "421 unable to read controls".'),
    ControlSpec("defaultdomain", "line", "Default Domain", Default.ME, _INJECT, _T.IMMEDIATE,
                _host("The default domain")),
    ControlSpec("plusdomain", "line", "Plus Domain", Default.ME, _INJECT, _T.IMMEDIATE,
                _host("The plus domain")),
    ControlSpec("bouncefrom", "line", "Bounce From", "MAILER-DAEMON", _SEND, _T.SEND_RESTART,
                _user("Bounce From", "Bounce Host")),
    ControlSpec("bouncehost", "line", "Bounce Host", Default.ME, _SEND, _T.SEND_RESTART,
                _host("The bounce host")),
    ControlSpec("doublebounceto", "line", "Double Bounce To", "postmaster", _SEND, _T.SEND_RESTART,
                _user("Double Bounce To", "Double Bounce Host")),
    ControlSpec("doublebouncehost", "line", "Double Bounce Host", Default.ME, _SEND, _T.SEND_RESTART,
                _host("The double bounce host")),
    ControlSpec("smtpgreeting", "line", "SMTP Greeting", Default.ME, _SMTPD, _T.IMMEDIATE, check_greeting),
    ControlSpec("timeoutsmtpd", "number", "Timeout", 1200, _SMTPD, _T.IMMEDIATE,
                number=NumberRange(1, 86400, "Timeout", "seconds")),
    ControlSpec("databytes", "number", "Message Size", 0, _SMTPD, _T.IMMEDIATE,
                number=NumberRange(0, INT_MAX, "Message size", "bytes", " (0 means no limit)")),
    ControlSpec("concurrencyincoming", "number", "Inbound Connections (max)", None, ("smtpd run script",),
                _T.SMTPD_RESTART, removable=False, when_missing="the SMTP service refuses to start.",
                number=NumberRange(1, MAX_INCOMING, "Inbound connections",
                                   why_max="Each connection is a separate qmail-smtpd process.")),
    ControlSpec("concurrencyremote", "number", "Outbound Connections (max)", 20, _SEND, _T.SEND_RESTART,
                number=NumberRange(0, None, "Outbound connections", note=" (0 holds remote mail)",
                                   why_max=_SPAWN_WHY)),
    ControlSpec("concurrencylocal", "number", "Local Deliveries (max)", 10, _SEND, _T.SEND_RESTART,
                number=NumberRange(0, None, "Local deliveries", note=" (0 holds local mail)",
                                   why_max=_SPAWN_WHY)),
    ControlSpec("timeoutremote", "number", "Response Timeout", 1200, _REMOTE, _T.IMMEDIATE,
                number=NumberRange(1, 86400, "Response timeout", "seconds")),
    ControlSpec("timeoutconnect", "number", "Connect Timeout", 60, _REMOTE, _T.IMMEDIATE,
                number=NumberRange(1, 75, "Connect timeout", "seconds", why_max="The kernel gives up on a "
                                   "connection after about 75 seconds anyway.")),
    ControlSpec("queuelifetime", "number", "Queue Lifetime", 604800, _SEND, _T.SEND_RESTART,
                number=NumberRange(0, INT_MAX, "Queue lifetime", "seconds", " (604800 is one week)")),
    ControlSpec("badmailfrom", "list", "Inbound Address Blacklist", (), _SMTPD, _T.IMMEDIATE,
                check_badmailfrom),
    ControlSpec("badrcptto", "list", "Outbound Address Blacklist", (), ("qmail-smtpd (qregex patch)",),
                _T.IMMEDIATE, check_badrcptto),
    ControlSpec("rcpthosts", "list", "Accepted Domains (rcpthosts)", None, _SMTPD, _T.IMMEDIATE,
                check_rcpthost, removable=False,
                when_missing="every recipient is accepted: the server becomes an open relay."),
    ControlSpec("locals", "list", "Local Domains (locals)", Default.ME, _SEND, _T.SEND_HUP, check_hostname),
    ControlSpec("virtualdomains", "list", "Virtual Domains (virtualdomains)", (), _SEND, _T.SEND_HUP,
                check_virtualdomain),
    ControlSpec("smtproutes", "list", "SMTP Routes", (), _REMOTE, _T.IMMEDIATE, check_route),
]}  # fmt: skip
