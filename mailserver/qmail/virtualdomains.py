"""control/virtualdomains: parsed, checked and looked up exactly as qmail-send does.

Each line is ``key:prefix``; the key ends at the first colon (constmap), case is
ignored and a repeated key keeps its last line. For a recipient ``user@a.b.dom``
qmail-send tries the whole address, then ``a.b.dom``, then ``.b.dom`` and ``.dom``,
then the ``""`` catch-all (a line ``:prefix``), and takes the first hit (qmail-send.c
``rewrite``). A hit with a prefix makes the recipient local, rewritten to
``prefix-user@a.b.dom`` (vpopmail writes ``dom:dom`` and lists the prefix in
users/assign); a hit with an empty prefix is an exception: the recipient stays remote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .addresses import check_hostname
from .errors import InvalidValue

_PREFIX = re.compile(r"[A-Za-z0-9._+=-]+")
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")


@dataclass(frozen=True)
class VirtualDomain:
    key: str  # "user@dom", "dom", ".dom" (any subdomain) or "" (every other domain)
    prefix: str  # "" = an exception: delivered remotely

    @property
    def text(self) -> str:
        return f"{self.key}:{self.prefix}"

    def describe(self) -> str:
        if not self.key:
            return "every other domain (the catch-all)"
        if self.key.startswith("."):
            return f"every subdomain of {self.key[1:]}"
        return self.key


def parse(lines: Iterable[str]) -> list[VirtualDomain]:
    """Every entry qmail-send loads from these lines (the file's text split in lines, or its entries)."""
    entries = []
    for raw in lines:
        line = raw.rstrip(" \t")
        key, colon, prefix = line.partition(":")
        if line and line[0] not in "#\0" and colon:  # constmap skips lines without a colon
            entries.append(VirtualDomain(key.lower(), prefix))
    return entries


def check_line(line: str) -> str:
    """One entry, key lower-cased; InvalidValue says what qmail-send would do with it."""
    if re.search(r"\s", line):
        raise InvalidValue(f'"{line.strip()}" contains a space; write domain:prefix without spaces.')
    key, colon, prefix = line.partition(":")
    if not colon:
        raise InvalidValue(f'"{line}" has no colon, so qmail-send ignores it. Write domain:prefix.')
    if ":" in prefix:
        raise InvalidValue(
            f'"{line}" has more than one colon: qmail-send would take "{prefix}" as the prefix. '
            "Write exactly one colon, domain:prefix."
        )
    if "@" in key:
        local, _, domain = key.rpartition("@")
        if not local:
            raise InvalidValue(
                f'"{key}" never matches: qmail-send looks up whole addresses and domains. '
                f'Write "{domain}:{prefix}" for the whole domain.'
            )
        if "@" in local or not _LOCAL_PART.fullmatch(local):
            raise InvalidValue(f'"{key}" is not a valid address.')
        key = f"{local.lower()}@{check_hostname(domain, f'The domain in {key!r}')}"
    elif key:
        key = check_hostname(key, "The domain", allow_wildcard=True)
    if prefix and not _PREFIX.fullmatch(prefix):
        raise InvalidValue(
            f'The prefix "{prefix}" may only hold letters, digits and . _ + = -: qmail-send puts '
            'it before "-user@domain" to name a local user.'
        )
    return f"{key}:{prefix}"


def _candidates(address: str) -> Iterator[str]:
    # qmail-send's rewrite(): the whole address, the domain, each ".suffix" longest first, then "".
    _, at, domain = address.rpartition("@")
    if at:
        yield address
    yield domain
    for i, char in enumerate(domain):
        if char == "." and i:
            yield domain[i:]
    yield ""


def lookup(entries: Iterable[VirtualDomain], address: str) -> VirtualDomain | None:
    """The entry qmail-send uses for ``address`` (user@domain, or a bare domain); None when none does."""
    table = {entry.key: entry for entry in entries}  # later lines replace earlier: last wins
    return next((table[key] for key in _candidates(address.lower()) if key in table), None)
