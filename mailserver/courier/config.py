"""Courier's configuration files: ``NAME=value`` lines that its scripts read with ``sh``'s ``.``.

Debian keeps them in ``/etc/courier`` (``imapd``, ``imapd-ssl``, ``pop3d``, ``pop3d-ssl``), a
source build in ``/usr/lib/courier-imap/etc``. Each setting is introduced by a ``##NAME:
SETTING:0`` marker and a comment, which Courier's own upgrade tool uses to merge new
versions: values are therefore edited in place and the markers kept. As in ``sh``, the last
assignment wins, and the secure server reads ``imapd`` first and ``imapd-ssl`` after it, so
a ``MAXDAEMONS`` in ``imapd-ssl`` is the secure server's own.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from mailserver.qmail.hostpath import system_path
from mailserver.qmail.paths import Roots
from mailserver.qmail.serverfile import read_optional

LOCATIONS = ("etc/courier", "usr/lib/courier-imap/etc")
# The files each server reads, in order.
FILES = {"courier-imapd": ("imapd",), "courier-imapd-ssl": ("imapd", "imapd-ssl")}
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)")


def config_dir(roots: Roots) -> Path:
    for relative in LOCATIONS:
        path = system_path(roots, relative)
        if path.is_dir():
            return path
    return system_path(roots, LOCATIONS[0])


def _literal(raw: str) -> str | None:
    """The value sh assigns for ``raw``, when it is a constant (no expansion); else None."""
    if "$" in raw or "`" in raw:
        return None
    try:
        words = shlex.split(raw, comments=True)
    except ValueError:
        return None
    return words[0] if len(words) == 1 else ("" if not words else None)


@dataclass(frozen=True)
class Assignment:
    line: int  # 0-based index in the file's lines
    raw: str  # the value as written
    value: str | None  # the constant it assigns; None when sh would expand something


def assignments(text: str) -> dict[str, Assignment]:
    """The last assignment of each name (as sh leaves it)."""
    found: dict[str, Assignment] = {}
    for index, line in enumerate(text.split("\n")):
        match = _ASSIGNMENT.fullmatch(line.strip())
        if match:
            found[match[1]] = Assignment(index, match[2], _literal(match[2]))
    return found


def with_value(text: str, name: str, value: str, *, note: str) -> str:
    """``text`` with ``name`` set to ``value``: its last assignment edited in place, or a new
    marked block appended (``note`` is its comment) when the file has none."""
    if not re.fullmatch(r"[A-Za-z0-9_./:-]*", value):
        raise ValueError(f"{value!r} is not a plain value for {name}")
    lines = text.split("\n")
    current = assignments(text).get(name)
    if current is not None:
        lines[current.line] = f"{name}={value}"
        return "\n".join(lines)
    if lines and lines[-1] == "":
        lines.pop()
    block = ["", f"##NAME: {name}:0", "#", f"# {note}", "", f"{name}={value}", ""]
    return "\n".join([*lines, *block])


@dataclass(frozen=True)
class CourierValue:
    value: str | None  # the constant the server ends up with (None: unset or not a constant)
    file: str | None  # the file whose assignment wins


def effective(texts: dict[str, str | None], service: str, name: str) -> CourierValue:
    """What ``service`` reads for ``name`` from its files (given by file name, None when absent)."""
    result = CourierValue(None, None)
    for file in FILES[service]:
        text = texts.get(file)
        found = assignments(text).get(name) if text is not None else None
        if found is not None:
            result = CourierValue(found.value, file)
    return result


def read_files(roots: Roots) -> dict[str, str | None]:
    directory = config_dir(roots)
    texts: dict[str, str | None] = {}
    for file in ("imapd", "imapd-ssl"):
        data = read_optional(directory / file)
        texts[file] = None if data is None else data.decode("utf-8", "replace")
    return texts
