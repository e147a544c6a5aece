"""Who owns which domain, read the way qmail itself resolves a virtual domain.

``control/virtualdomains`` maps a domain (``example.com``), its subdomains (``.example.com``) or
one address to a prefix P; qmail-send then delivers ``local@domain`` locally as ``P-local@domain``,
and that is the address its log shows. qmail-lspawn finds the Unix user for ``P-local`` in
``users/assign`` (the longest matching ``+`` entry; vpopmail and InterWorx write one per domain)
or, failing that, qmail-getpw takes the part of P before the first ``-`` as the user.

Used by ``xuser`` (the domains a Unix user owns) and by the reports, which print
``info@example.com`` rather than qmail's internal ``P-info@example.com``.
"""

from __future__ import annotations

import pwd
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..errors import QmailError
from ..serverfile import MAX_SIZE, read_regular


@dataclass(frozen=True)
class Owner:
    user: str
    uid: int | None


@dataclass
class Domains:
    virtual: dict[str, str] = field(default_factory=dict)  # domain / ".suffix" / address -> prefix
    assign: list[tuple[str, Owner]] = field(default_factory=list)  # "+" entries, longest first

    @classmethod
    def load(cls, qmail_root: Path) -> Domains:
        domains = cls()
        for line in _lines(qmail_root / "control" / "virtualdomains"):
            key, sep, prefix = line.rpartition(":")
            if sep and key:
                domains.virtual[key.lower()] = prefix
        for line in _lines(qmail_root / "users" / "assign"):
            if line == ".":
                break
            fields = line.split(":")
            if line.startswith("+") and len(fields) >= 3:
                uid = int(fields[2]) if re.fullmatch(r"[0-9]{1,10}", fields[2]) else None
                domains.assign.append((fields[0][1:], Owner(fields[1], uid)))
        domains.assign.sort(key=lambda entry: -len(entry[0]))
        return domains

    def prefix(self, address: str) -> str | None:
        """The virtualdomains prefix that applies to an address (exact address, domain, then suffixes)."""
        address = address.lower()
        domain = address.rpartition("@")[2]
        if address in self.virtual:
            return self.virtual[address]
        if domain in self.virtual:
            return self.virtual[domain]
        parts = domain.split(".")
        for i in range(1, len(parts)):
            suffix = "." + ".".join(parts[i:])
            if suffix in self.virtual:
                return self.virtual[suffix]
        return None

    @cached_property
    def _exact_addresses(self) -> dict[str, str]:
        """Logged form -> address for ``user@domain:prefix`` entries (qmail logs ``prefix-user@domain``)."""
        return {f"{p}-{key}".lower(): key for key, p in self.virtual.items() if "@" in key}

    def original(self, address: str) -> str:
        """``P-info@example.com`` as logged -> ``info@example.com``, when example.com maps to P."""
        local, at, domain = address.rpartition("@")
        if not at or not self.virtual:
            return address
        exact = self._exact_addresses
        if address.lower() in exact:  # a single-address entry: user@domain:prefix
            return exact[address.lower()]
        prefix = self.prefix(address)
        if prefix and local.lower().startswith(prefix.lower() + "-"):
            return f"{local[len(prefix) + 1 :]}@{domain}"
        return address

    def owner(self, prefix: str) -> Owner:
        for loc, owner in self.assign:
            if (prefix + "-").startswith(loc):
                return owner
        user = prefix.split("-", 1)[0]  # qmail-getpw: the Unix account named by the prefix
        try:
            return Owner(user, pwd.getpwnam(user).pw_uid)
        except KeyError:
            return Owner(user, None)

    def owned_by(self, user: str) -> set[str]:
        """Domains (and ``.suffix`` wildcards) whose mail is delivered as Unix user ``user``."""
        try:
            uid: int | None = pwd.getpwnam(user).pw_uid
        except KeyError:
            uid = int(user) if re.fullmatch(r"[0-9]{1,10}", user) else None
        owned = set()
        for key, prefix in self.virtual.items():
            owner = self.owner(prefix)
            if owner.user == user or (uid is not None and owner.uid == uid):
                owned.add(key.rpartition("@")[2] if "@" in key else key)
        return owned


def domain_matches(domain: str, owned: set[str]) -> bool:
    domain = domain.lower()
    if domain in owned:
        return True
    parts = domain.split(".")
    return any("." + ".".join(parts[i:]) in owned for i in range(1, len(parts)))


def _lines(path: Path) -> list[str]:
    try:  # users/assign of a host with many domains can be large; a link or fifo is not read
        text = read_regular(path, limit=64 * MAX_SIZE)[0].decode("utf-8", "replace")
    except (OSError, QmailError):
        return []
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
