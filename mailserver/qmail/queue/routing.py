"""Which channel qmail-send will give a recipient it has not preprocessed yet.

Before preprocessing, a message is only its envelope (todo/ID): its recipients are not yet
split into local and remote. qmail-send decides with control/locals (or control/me without
it) and then control/virtualdomains (qmail-send.c ``rewrite``); the same decision is made here
with the library's readers of those files (:mod:`mailserver.qmail.delivery`), so the list shows
each recipient on the channel it will take.
"""

from __future__ import annotations

from pathlib import Path

from .. import control, delivery, virtualdomains
from ..errors import QmailError
from ..serverfile import read_optional
from .message import Route

_FILES = ("locals", "me", "virtualdomains")


def route_for(qmail_root: Path) -> Route:
    """The rule for this server's control files as they are now (unreadable ones count as absent)."""
    values: dict[str, object] = {}
    for name in _FILES:
        try:
            raw = read_optional(qmail_root / "control" / name)
        except (OSError, QmailError):
            raw = None
        values[name] = control.read_value(name, raw).value
    locals_ = set(delivery.local_domains(values))
    listed = values["virtualdomains"]
    table = virtualdomains.parse(
        [line for line in listed if isinstance(line, str)] if isinstance(listed, list) else []
    )

    def route(address: str) -> str:
        domain = address.rpartition("@")[2].lower()
        if domain in locals_:
            return "local"
        entry = virtualdomains.lookup(table, address)
        return "local" if entry is not None and entry.prefix else "remote"

    return route
