"""qmail control files: read exactly as qmail reads them, validated before they are written.

This module is the single source of truth for control/ syntax (notqmail control.c,
constmap.c, scan_ulong). The Django forms and the root agent both call ``validate``,
so a value the panel accepts is one qmail reads the way the admin meant; anything
qmail would silently misread ("20x" read as 20, a leading space that makes a
domain never match) is refused with a message written for the admin.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .addresses import check_badmailfrom, check_greeting, check_hostname, check_user
from .badrcptto import address_to_badrcptto, badrcptto_to_address, check_badrcptto, check_ere
from .errors import InvalidValue
from .serverfile import MAX_SIZE
from .specs import INT_MAX, MAX_INCOMING, SPECS, ControlSpec, Default, Kind, NumberRange, TakesEffect

# Callers use these through this module (control.SPECS, control.check_hostname, ...).
__all__ = [
    "CONF_SPAWN",
    "INT_MAX",
    "MAX_INCOMING",
    "MAX_SIZE",
    "SPECS",
    "ControlSpec",
    "ControlValue",
    "Default",
    "Kind",
    "NumberRange",
    "TakesEffect",
    "Value",
    "address_to_badrcptto",
    "badrcptto_to_address",
    "check_badmailfrom",
    "check_badrcptto",
    "check_ere",
    "check_greeting",
    "check_hostname",
    "check_user",
    "read_line",
    "read_list",
    "read_number",
    "read_value",
    "render",
    "validate",
]

Value = str | int | list[str]
CONF_SPAWN = 120  # qmail's conf-spawn default; the agent passes the host's real value


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


# How many bad lines one refusal lists: every one an admin could fix in one go, not a pasted log.
MAX_LINE_PROBLEMS = 20


def _check_entry(spec: ControlSpec, number: int, item: str) -> str:
    assert spec.validator is not None
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
        return spec.validator(item)
    except InvalidValue as exc:
        raise InvalidValue(f"Line {number}: {exc}") from None


def _validate_list(spec: ControlSpec, value: object) -> list[str]:
    """Every entry checked; a refusal names every bad line, one per line of its message."""
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
    problems: list[str] = []
    numbers: list[int] = []
    for number, line in enumerate(lines, 1):
        item = line.rstrip()
        if not item:
            continue
        try:
            entries.append(_check_entry(spec, number, item))
            numbers.append(number)
        except InvalidValue as exc:
            problems.append(str(exc))
    if spec.name == "smtproutes":
        problems += _repeated_routes(entries, numbers)
    if problems:
        shown = problems[:MAX_LINE_PROBLEMS]
        if len(problems) > len(shown):
            shown.append(f"… and {len(problems) - len(shown)} more lines like these.")
        raise InvalidValue("\n".join(shown))
    if spec.name == "rcpthosts" and not entries:
        raise InvalidValue(
            "List at least one domain: with an empty rcpthosts the server refuses all incoming mail."
        )
    return entries


def _repeated_routes(entries: list[str], numbers: list[int]) -> list[str]:
    """qmail-remote keeps only the last route of a domain (constmap): an earlier one is dead, and an
    admin who reads routes top-down, as most mailers' tables read, would expect it to win."""
    last: dict[str, int] = {}
    for entry, number in zip(entries, numbers, strict=True):
        last[entry.split(":", 1)[0].lower()] = number
    problems = []
    for entry, number in zip(entries, numbers, strict=True):
        key = entry.split(":", 1)[0].lower()
        if last[key] != number:
            if not key:
                domain = 'every other domain (the catch-all, ":relay")'
            else:
                domain = f"every subdomain of {key[1:]}" if key.startswith(".") else key
            problems.append(
                f"Line {number} routes {domain} again on line {last[key]}; qmail-remote uses only the "
                "last of these lines, so this one would be ignored. Keep one of them."
            )
    return problems


def validate(name: str, value: object, *, conf_spawn: int = CONF_SPAWN) -> Value:
    """The one validation entry point: the normalised value, or InvalidValue for the admin.

    Numbers take an int or a string of digits; one-line values a string; lists a
    string with one entry per line (line numbers in messages match it) or a list.
    """
    spec = SPECS[name]
    if spec.kind == "number":
        return _validate_number(spec, value, conf_spawn)
    clean = _validate_line(spec, value) if spec.kind == "line" else _validate_list(spec, value)
    size = len(render(name, clean))
    if size > MAX_SIZE:  # checked here, so the form refuses it too, not only the write
        raise InvalidValue(
            f"{spec.label} would make control/{name} {size} bytes long; the panel writes files of at "
            f"most 1 MiB ({MAX_SIZE} bytes). Shorten the list."
        )
    return clean


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


def _misread_by_run_script(line: str, number: int | None) -> str:
    """No qmail program reads control/concurrencyincoming: the SMTP run scripts pass it to tcpserver -c."""
    other = (
        f"a hand-written one's tcpserver -c reads it as {number}"
        if number
        else "a hand-written one's tcpserver -c reads it as 0 and accepts no connection"
    )
    return f'The panel\'s SMTP run scripts refuse to start while it holds "{line}"; {other}.'


def _as_qmail_reads(spec: ControlSpec, raw: bytes) -> tuple[Value | None, str]:
    """The value qmail takes from ``raw``, and a note when that is not what the file appears to say."""
    if spec.kind == "number":
        number, line = read_number(raw), read_line(raw) or ""
        if spec.default is None and line != str(number):  # concurrencyincoming: the run scripts read it
            return number, _misread_by_run_script(line, number)
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
