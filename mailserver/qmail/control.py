"""qmail control files: read exactly as qmail reads them, validated before they are written.

This module is the single source of truth for control/ syntax (notqmail control.c,
constmap.c, scan_ulong). The Django forms and the root agent both call ``validate``,
so a value the panel accepts is one qmail reads the way the admin meant; anything
qmail would silently misread ("20x" read as 20, a leading space that makes a
domain never match) is refused with a message written for the admin.
"""

from __future__ import annotations

import ctypes
import enum
import functools
import platform
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from .errors import InvalidValue

Kind = Literal["line", "number", "list"]
Value = str | int | list[str]
INT_MAX = 2**31 - 1
CONF_SPAWN = 120  # qmail's conf-spawn default; the agent passes the host's real value
MAX_INCOMING = 1000  # tcpserver has no cap, but each connection is a qmail-smtpd process


class TakesEffect(enum.Enum):
    IMMEDIATE = "immediate"  # read per SMTP connection or per delivery: nothing to do
    SEND_RESTART = "send_restart"  # qmail-send reads it at start: svc -t qmail-send
    SEND_HUP = "send_hup"  # qmail-send rereads it on HUP (locals, virtualdomains): svc -h
    SMTPD_RESTART = "smtpd_restart"  # used by the smtpd run script: svc -t the smtpd service


class Default(enum.Enum):
    ME = "me"  # a missing file means "the value of control/me"


# ------------------------------------------------------------------ readers


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def read_line(raw: bytes | None) -> str | None:
    """control_readline: line 1 only, trailing space/tab/newline removed, leading kept.

    None only for a missing file. An empty file reads as "" (qmail then uses an
    empty value, not the default), and "#" is not a comment here.
    """
    if raw is None:
        return None
    return _text(raw.split(b"\n", 1)[0].rstrip(b" \t"))


def _c_int(digits: str) -> int:
    """scan_ulong (wraps modulo 2^64), then the store into control_readint's 32-bit int."""
    u = 0
    for digit in digits:
        u = (u * 10 + ord(digit) - 48) % 2**64
    u &= 0xFFFFFFFF
    return u - 2**32 if u > INT_MAX else u


def read_number(raw: bytes | None) -> int | None:
    """control_readint: the leading digits of line 1; None = qmail treats the file as absent."""
    match = re.match(r"[0-9]+", read_line(raw) or "")
    return _c_int(match.group()) if match else None


def read_list(raw: bytes | None) -> list[str]:
    """control_readfile: skip blank and "#" lines, strip trailing blanks, keep leading ones."""
    entries: list[str] = []
    for line in (raw or b"").split(b"\n"):
        line = line.rstrip(b" \t")
        if not line or line[:1] in (b"#", b"\0"):
            continue
        # Entries are NUL-terminated in memory, so a NUL inside a line splits it in two.
        entries.extend(_text(piece) for piece in line.split(b"\0") if piece)
    return entries


# ------------------------------------------------------------------ names

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_USER = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def check_hostname(
    value: str, what: str = "The domain", *, need_dot: bool = False, allow_wildcard: bool = False
) -> str:
    """An RFC 1123 host name, lower-cased (qmail compares case-insensitively)."""
    host = value.lower()
    if allow_wildcard and host.startswith(".") and len(host) > 1:
        return "." + check_hostname(host[1:], what)
    shown = f'{what} "{value}"'
    if not host:
        raise InvalidValue(f"{what} is empty.")
    if re.search(r"\s", host):
        raise InvalidValue(f"{shown} contains a space; host names cannot contain spaces.")
    if not host.isascii():
        raise InvalidValue(f"{shown} has non-ASCII letters; enter the xn-- (punycode) form of the name.")
    if host.endswith("."):
        raise InvalidValue(
            f"{shown} ends with a dot; qmail compares names literally, so it would never "
            f'match "{host.rstrip(".")}". Remove the dot.'
        )
    if host.startswith("."):
        raise InvalidValue(
            f"{shown} starts with a dot (a leading dot, meaning every subdomain, is only "
            "allowed in rcpthosts)."
        )
    if ".." in host:
        raise InvalidValue(f"{shown} has two dots in a row.")
    if len(host) > 253:
        raise InvalidValue(f"{shown} is longer than 253 characters.")
    labels = host.split(".")
    for label in labels:
        if not _LABEL.fullmatch(label):
            raise InvalidValue(
                f'{shown}: "{label}" is not valid; each part may only hold letters, digits and '
                "hyphens (no underscores), at most 63 characters, not starting or ending with "
                "a hyphen."
            )
    if labels[-1].isdigit():
        raise InvalidValue(f"{shown} looks like an IP address; enter a host name.")
    if need_dot and len(labels) < 2:
        raise InvalidValue(f"{shown} must be a fully qualified name such as mail.example.com.")
    return host


def _mailbox_problem(local: str) -> str | None:
    if re.search(r"\s", local):
        return "contains a space"
    if len(local) > 64 or not _USER.fullmatch(local):
        return (
            "is not a valid mailbox name: use letters, digits, dots (not at either end or doubled) "
            "and !#$%&'*+/=?^_`{|}~- only, at most 64 characters"
        )
    return None


def check_user(value: str, what: str, host_field: str) -> str:
    """A local part such as MAILER-DAEMON; qmail-send adds "@" and the host itself."""
    if "@" in value:
        raise InvalidValue(
            f'{what} takes only the part before the "@"; qmail adds "@" and the {host_field} itself.'
        )
    if problem := _mailbox_problem(value):
        raise InvalidValue(f'{what} "{value}" {problem}.')
    return value


def _split_address(entry: str) -> tuple[str, str]:
    """``user@dom`` or ``@dom`` as (local part, lower-cased domain); "" local = whole domain."""
    if "@" not in entry:
        raise InvalidValue(
            f'"{entry}" is neither an address (user@example.com) nor a whole domain written @example.com.'
        )
    local, domain = entry.rsplit("@", 1)
    if "@" in local:
        raise InvalidValue(f'"{entry}" has more than one "@".')
    if domain.startswith((".", "*")):
        raise InvalidValue(
            f'"{entry}": wildcards are not supported. "@example.com" blocks senders at '
            "example.com itself but not at its subdomains; list each subdomain on its own line."
        )
    if local and (problem := _mailbox_problem(local)):
        raise InvalidValue(f'The part before the "@" in "{entry}" {problem}.')
    return local, check_hostname(domain, f'The domain in "{entry}"')


def check_badmailfrom(entry: str) -> str:
    """qmail-smtpd matches the whole sender exactly, or "@" + its domain; case is ignored."""
    local, domain = _split_address(entry)
    return f"{local}@{domain}"


def check_greeting(value: str) -> str:
    """Sent as "220 <text> ESMTP", so the text must start with this server's host name."""
    if any(not " " <= ch <= "~" for ch in value):
        raise InvalidValue(
            "The SMTP greeting may only contain printable ASCII characters (no tabs, no accents)."
        )
    if len(value) > 500:  # RFC 5321 caps a reply line at 512 octets including "220 " and " ESMTP\r\n"
        raise InvalidValue("The SMTP greeting is longer than 500 characters.")
    try:
        check_hostname(value.split(" ", 1)[0], "Its first word", need_dot=True)
    except InvalidValue as exc:
        raise InvalidValue(
            'The greeting is sent as "220 <greeting> ESMTP", so it must start with this server\'s '
            f"host name. {exc}"
        ) from None
    return value


# ------------------------------------------------------------------ badrcptto (qregex patch)

_ERE_SPECIAL = frozenset(".[]()*+?{}|^$\\")
_PLAIN_ADDRESS = re.compile(r"[^\s\\\[\](){}*+?|^$!@]*@[^\s\\\[\](){}*+?|^$@]+")


def _ere_escape(text: str) -> str:
    return "".join("\\" + ch if ch in _ERE_SPECIAL else ch for ch in text)


def address_to_badrcptto(entry: str) -> str:
    """``user@dom.tld`` -> ``^user@dom\\.tld$``; ``@dom.tld`` -> ``@dom\\.tld$``.

    qregex lines are unanchored, case-insensitive POSIX EREs where "." is any
    character, so a plain "@example.com" would also block "x@example.community".
    """
    local, domain = _split_address(entry)
    pattern = _ere_escape(f"@{domain}") + "$"
    return "^" + _ere_escape(local) + pattern if local else pattern


def badrcptto_to_address(line: str) -> str | None:
    """The admin-friendly entry for a line ``address_to_badrcptto`` wrote; None for other regexes."""
    candidate = re.sub(r"\\(.)", r"\1", line.removeprefix("^").removesuffix("$"))
    try:
        return candidate if address_to_badrcptto(candidate) == line else None
    except InvalidValue:
        return None


@functools.cache
def _glibc_regcomp() -> Callable[[str], str | None] | None:
    """qregex compiles with the host libc's regcomp(); use the same parser when we can."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return None
    libc = ctypes.CDLL(None)
    flags = 1 | 2 | 8  # glibc REG_EXTENDED | REG_ICASE | REG_NOSUB, as qregex uses

    def compile_error(pattern: str) -> str | None:
        buf = ctypes.create_string_buffer(256)  # regex_t is 64 bytes on glibc; room to spare
        code = int(libc.regcomp(buf, pattern.encode(), flags))
        if code == 0:
            libc.regfree(buf)
            return None
        msg = ctypes.create_string_buffer(200)
        libc.regerror(code, buf, msg, ctypes.c_size_t(len(msg)))
        return msg.value.decode(errors="replace")

    return compile_error


def check_ere(line: str) -> str:
    """One hand-written qregex line: a POSIX ERE, optionally negated with a leading "!"."""
    pattern = line[1:] if line.startswith("!") else line
    if not pattern:
        raise InvalidValue('"!" on its own is not a pattern.')
    if escape := re.search(r"\\([A-Za-z0-9])", pattern):
        raise InvalidValue(
            f'"{line}": "\\{escape[1]}" is not part of the POSIX regular expressions qregex uses '
            f'(many systems read it as a plain "{escape[1]}"); use a bracket expression such as [0-9] '
            "or [[:space:]] instead."
        )
    if "(?" in pattern:
        raise InvalidValue(f'"{line}": "(?" groups are Perl syntax that POSIX regular expressions lack.')
    compile_error = _glibc_regcomp()
    if compile_error is not None:
        error = compile_error(pattern)
    else:  # not glibc: Python's re is only a rough check of the same syntax
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                re.compile(pattern)
                error = None
            except re.error as exc:
                error = exc.msg
    if error:
        raise InvalidValue(f'"{line}" is not a valid regular expression ({error}).')
    return line


def check_badrcptto(entry: str) -> str:
    """Plain addresses become anchored patterns; lines already in that form or hand regexes stay."""
    if badrcptto_to_address(entry) is not None:
        return entry
    if _PLAIN_ADDRESS.fullmatch(entry):
        return address_to_badrcptto(entry)
    return check_ere(entry)


def _check_route(line: str) -> str:
    from .smtproutes import check_line  # smtproutes reuses check_hostname, so import late

    return check_line(line)


# ------------------------------------------------------------------ specs


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
                functools.partial(check_hostname, what="The domain", allow_wildcard=True), removable=False,
                when_missing="every recipient is accepted: the server becomes an open relay."),
    ControlSpec("locals", "list", "Local Domains (locals)", Default.ME, _SEND, _T.SEND_HUP, check_hostname),
    ControlSpec("smtproutes", "list", "SMTP Routes", (), _REMOTE, _T.IMMEDIATE, _check_route),
]}  # fmt: skip


# ------------------------------------------------------------------ validate / render / read


def _number_rule(num: NumberRange, maximum: int) -> str:
    unit = f" of {num.unit}" if num.unit else ""
    return f"{num.what} must be a whole number{unit} from {num.minimum} to {maximum}{num.note}"


def _misread(spec: ControlSpec, text: str) -> str:
    """How the program would really read a bad number, so the admin sees why it is refused."""
    lead = re.match(r"[0-9]+", text)
    reader = "tcpserver" if spec.default is None else "qmail"  # concurrencyincoming goes to tcpserver -c
    if not text:
        return "."
    if lead:
        return f'; {reader} reads "{text}" as {_c_int(lead.group())}.'
    if spec.default is None:
        return f'; tcpserver would read "{text}" as 0 and accept no connections.'
    return f'; qmail would ignore "{text}" and silently keep the default ({spec.default}).'


def _validate_number(spec: ControlSpec, value: object, conf_spawn: int) -> int:
    assert spec.number is not None
    num = spec.number
    maximum = conf_spawn if num.maximum is None else num.maximum
    rule = _number_rule(num, maximum)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidValue(f"{rule}.")
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[0-9]+", text):
            raise InvalidValue(rule + _misread(spec, text))
        if len(text) > 15:  # int() of thousands of digits is refused by Python; it is out of range anyway
            raise InvalidValue(f"{rule}; that number is far too large.")
        value = int(text)
    if value < num.minimum or value > maximum:
        why = f" {num.why_max.format(maximum=maximum)}" if value > maximum and num.why_max else ""
        raise InvalidValue(f"{rule}, not {value}.{why}")
    return value


def _validate_line(spec: ControlSpec, value: object) -> str:
    assert spec.validator is not None
    if not isinstance(value, str):
        raise InvalidValue(f"{spec.label} must be text.")
    text = value.rstrip()  # qmail drops trailing blanks itself; we also drop a stray final newline
    if re.search(r"[\r\n\0]", text):
        raise InvalidValue(
            f"{spec.label} must be a single line; qmail reads only the first line of control/{spec.name}."
        )
    if not text:
        raise InvalidValue(
            f"{spec.label} is empty. An empty file is not the same as no file: qmail would use "
            "an empty value rather than the default."
        )
    if text[0] in " \t":
        raise InvalidValue(f"{spec.label} starts with a space, which qmail would keep. Remove it.")
    return spec.validator(text)


def _validate_list(spec: ControlSpec, value: object) -> list[str]:
    assert spec.validator is not None
    if isinstance(value, str):
        lines = value.splitlines()
    elif isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        lines = list(value)
        for number, item in enumerate(lines, 1):
            if re.search(r"[\r\n\0]", item):  # one entry smuggling extra lines into the file
                raise InvalidValue(f"Line {number} contains a line break; enter one entry per line.")
    else:
        raise InvalidValue(f"{spec.label} must be text with one entry per line.")
    entries: list[str] = []
    for number, line in enumerate(lines, 1):
        item = line.rstrip()
        if not item:
            continue
        if item[0] in " \t":
            raise InvalidValue(
                f'Line {number}: "{item.strip()}" starts with a space, which qmail keeps, so the '
                "entry would never match. Remove the space."
            )
        if item.startswith("#"):
            raise InvalidValue(
                f'Line {number} starts with "#": qmail skips it as a comment and the panel does '
                "not keep comments. Remove the line."
            )
        try:
            entries.append(spec.validator(item))
        except InvalidValue as exc:
            raise InvalidValue(f"Line {number}: {exc}") from None
    if spec.name == "rcpthosts" and not entries:
        raise InvalidValue(
            "List at least one domain: with an empty rcpthosts the server refuses all incoming mail."
        )
    return entries


def validate(name: str, value: object, *, conf_spawn: int = CONF_SPAWN) -> Value:
    """The one validation entry point: the normalised value, or InvalidValue for the admin.

    Numbers take an int or a string of digits; one-line values a string; lists a
    string with one entry per line (line numbers in messages match it) or a list.
    """
    spec = SPECS[name]
    if spec.kind == "number":
        return _validate_number(spec, value, conf_spawn)
    if spec.kind == "line":
        return _validate_line(spec, value)
    return _validate_list(spec, value)


def render(name: str, value: Value) -> bytes:
    """File content for a validated value: one line + newline, or one entry per line."""
    kind = SPECS[name].kind
    if kind == "list" and isinstance(value, list):
        items = value
    elif (kind == "number" and type(value) is int) or (kind == "line" and isinstance(value, str)):
        items = [str(value)]
    else:
        raise TypeError(f"control/{name} is a {kind} file; got {value!r}")
    if any(re.search(r"[\r\n\0]", item) for item in items):  # last guard against map-file injection
        raise InvalidValue(f"{SPECS[name].label}: an entry contains a line break.")
    return "".join(f"{item}\n" for item in items).encode()


@dataclass(frozen=True)
class ControlValue:
    name: str
    exists: bool
    value: Value | None  # what qmail uses; None = the file is missing or ignored, the default applies
    canonical: bool  # saving this value from the panel would write back these exact bytes
    note: str = ""  # for the admin, when not canonical: what saving would change


def _rewrite_note(spec: ControlSpec, raw: bytes, seen: Value, clean: Value) -> str:
    if spec.kind == "list" and isinstance(seen, list) and isinstance(clean, list):
        for before, after in zip(seen, clean, strict=False):
            if before != after:
                return f'Saving from the panel would rewrite "{before}" as "{after}".'
        if any(line.startswith(b"#") for line in raw.split(b"\n")):
            return "Saving from the panel would drop the comments in this file (qmail ignores them)."
    elif spec.kind == "line" and raw.split(b"\n", 1)[1:] not in ([], [b""]):
        return "qmail reads only the first line; saving from the panel would drop the other lines."
    elif seen != clean:
        return f'Saving from the panel would write "{clean}" in place of "{seen}".'
    return "Saving from the panel would only tidy spacing, blank lines or the final newline."


def _as_qmail_reads(spec: ControlSpec, raw: bytes) -> tuple[Value | None, str]:
    """The value qmail takes from ``raw``, and a note when that is not what the file appears to say."""
    if spec.kind == "number":
        number, line = read_number(raw), read_line(raw) or ""
        if number is None:
            ignored = f'qmail ignores this file because "{line}" does not start with a digit'
            return None, ignored + ", so the default applies."
        return number, "" if line == str(number) else f'qmail reads "{line}" as {number}.'
    value: Value = read_list(raw) if spec.kind == "list" else read_line(raw) or ""
    if b"\r" in raw:
        return value, (
            "The file has Windows line endings; qmail keeps the carriage return as part of each value. "
            "Saving from the panel fixes it."
        )
    return value, ""


def read_value(name: str, raw: bytes | None, *, conf_spawn: int = CONF_SPAWN) -> ControlValue:
    """The file's content as qmail sees it, and whether the panel would write it back unchanged.

    Hand edits the panel cannot represent (comments, "20x", extra lines) make
    ``canonical`` False, so the page can warn before a save drops them.
    """
    spec = SPECS[name]
    if raw is None:
        return ControlValue(name, False, None, True)
    seen, misread = _as_qmail_reads(spec, raw)
    if misread or seen is None:
        return ControlValue(name, True, seen, False, misread)
    try:
        clean = validate(name, seen, conf_spawn=conf_spawn)
    except InvalidValue as exc:
        return ControlValue(name, True, seen, False, str(exc))
    if render(name, clean) == raw:
        return ControlValue(name, True, seen, True)
    return ControlValue(name, True, seen, False, _rewrite_note(spec, raw, seen, clean))
