"""control/badrcptto (qregex patch): plain addresses as anchored EREs, hand-written EREs checked.

qregex lines are unanchored, case-insensitive POSIX EREs compiled with the host
libc's regcomp(), so they are checked with that same parser where it is available.

glibc's regcomp expands counted repetitions and has worse corners still: x{1,32767}
took 4 GiB and 7.8 s, (($)*){1,50} more than 20 s. Both the web process and the root
agent check patterns, so counts above MAX_REPEAT are refused before anything is
compiled, and regcomp itself runs in a child process with a memory and CPU limit and
a timeout; a pattern it cannot compile within them is refused as too complex.
"""

from __future__ import annotations

import functools
import platform
import re
import subprocess
import sys
import warnings
from collections.abc import Callable

from .addresses import split_address
from .errors import InvalidValue

MAX_REPEAT = 255  # an address is at most 254 characters: no useful count is larger
_COMPILE_MEMORY = 256 << 20  # bytes of address space for the regcomp child
_COMPILE_CPU = 1  # second of CPU for it (a sane pattern takes milliseconds)
_COMPILE_TIMEOUT = 5.0  # seconds of wall clock, start-up included
# The child: C locale (qmail-smtpd never calls setlocale), limits first, then one regcomp.
# It prints "ok", or "error <code> <regerror message>".
_CHILD = f"""
import ctypes, locale, resource, sys
locale.setlocale(locale.LC_ALL, "C")
resource.setrlimit(resource.RLIMIT_AS, ({_COMPILE_MEMORY}, {_COMPILE_MEMORY}))
resource.setrlimit(resource.RLIMIT_CPU, ({_COMPILE_CPU}, {_COMPILE_CPU}))
libc = ctypes.CDLL(None)
buf = ctypes.create_string_buffer(256)  # regex_t is 64 bytes on glibc; room to spare
code = int(libc.regcomp(buf, sys.stdin.buffer.read(), 1 | 2 | 8))  # REG_EXTENDED|REG_ICASE|REG_NOSUB
if code == 0:
    print("ok")
else:
    msg = ctypes.create_string_buffer(200)
    libc.regerror(code, buf, msg, ctypes.c_size_t(len(msg)))
    print("error", code, msg.value.decode(errors="replace"))
"""
_REG_ESPACE = 12
_TOO_COMPLEX = "too complex for the regular expression library to compile"

_ERE_SPECIAL = frozenset(".[]()*+?{}|^$\\")
# An entry with no ERE syntax but "." is an address; so is one with "+" before the "@", which real
# addresses carry (list+tag@) far more often than a pattern repeats a character there.
_PLAIN_ADDRESS = re.compile(r"[^\s\\\[\](){}*?|^$!@]*@[^\s\\\[\](){}*+?|^$@]+")


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


@functools.lru_cache(maxsize=512)
def _compile_error(pattern: str) -> str | None:
    """regcomp's complaint about ``pattern`` (None: it compiles), from a bounded child process."""
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _CHILD],
            input=pattern.encode(),
            capture_output=True,
            timeout=_COMPILE_TIMEOUT,
            env={},
            check=False,
        )
    except subprocess.TimeoutExpired:  # run() has killed it
        return _TOO_COMPLEX
    except OSError as exc:
        return f"it could not be checked: {exc.strerror}"
    answer = done.stdout.decode(errors="replace").strip()
    if done.returncode != 0 or not answer:  # killed at the CPU limit, or out of memory
        return _TOO_COMPLEX
    if answer == "ok":
        return None
    _, code, message = [*answer.split(" ", 2), "", ""][:3]
    return _TOO_COMPLEX if code == str(_REG_ESPACE) else message


@functools.cache
def _glibc_regcomp() -> Callable[[str], str | None] | None:
    """qregex compiles with the host libc's regcomp(); use the same parser when we can."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc" or not sys.executable:
        return None
    return _compile_error


_REPEAT = re.compile(r"\{([0-9]*)(?:,([0-9]*))?\}")


def _repeat_counts(pattern: str) -> list[str]:
    """The numbers in the ERE's intervals ({m}, {m,}, {m,n}), skipping escapes and bracket expressions."""
    counts: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
        elif ch == "[":
            i = _bracket_end(pattern, i)
        elif ch == "{" and (interval := _REPEAT.match(pattern, i)):
            counts += [n for n in interval.groups() if n]
            i = interval.end()
        else:
            i += 1
    return counts


def _bracket_end(pattern: str, start: int) -> int:
    """The index after the bracket expression opening at ``start`` ("]" first is a member)."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        if pattern[i] == "[" and pattern[i + 1 : i + 2] in (":", "=", "."):  # [:alpha:] and kin
            close = pattern.find(pattern[i + 1] + "]", i + 2)
            i = close + 2 if close >= 0 else len(pattern)
        else:
            i += 1
    return i + 1


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
    if too_many := [n for n in _repeat_counts(pattern) if len(n) > 3 or int(n) > MAX_REPEAT]:
        raise InvalidValue(
            f'"{line}": a repetition count of {too_many[0][:12]} is too large; use at most {MAX_REPEAT} '
            "(qregex compiles every pattern for every message, and large counts take seconds and "
            "gigabytes to compile)."
        )
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
    if error == _TOO_COMPLEX:
        raise InvalidValue(f'"{line}" is {_TOO_COMPLEX} within its limits; simplify it.')
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
