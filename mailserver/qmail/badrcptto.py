"""control/badrcptto (qregex patch): plain addresses as anchored EREs, hand-written EREs checked.

qregex lines are unanchored, case-insensitive POSIX EREs compiled with the host
libc's regcomp(), so they are checked with that same parser where it is available.
"""

from __future__ import annotations

import ctypes
import functools
import platform
import re
import sys
import warnings
from collections.abc import Callable

from .addresses import split_address
from .errors import InvalidValue

_ERE_SPECIAL = frozenset(".[]()*+?{}|^$\\")
_PLAIN_ADDRESS = re.compile(r"[^\s\\\[\](){}*+?|^$!@]*@[^\s\\\[\](){}*+?|^$@]+")


def _ere_escape(text: str) -> str:
    return "".join("\\" + ch if ch in _ERE_SPECIAL else ch for ch in text)


def address_to_badrcptto(entry: str) -> str:
    """``user@dom.tld`` -> ``^user@dom\\.tld$``; ``@dom.tld`` -> ``@dom\\.tld$``.

    qregex lines are unanchored, case-insensitive POSIX EREs where "." is any
    character, so a plain "@example.com" would also block "x@example.community".
    """
    local, domain = split_address(entry)
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
