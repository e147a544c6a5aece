"""The run scripts the panel writes for clamd and freshclam under daemontools.

Both only name their configuration file: clamd.conf and freshclam.conf hold every setting,
as ClamAV's own documentation and Debian expect. clamd gets no softlimit: it is threaded,
and softlimit's ``-m`` also caps the stack, so every thread would reserve the whole limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailserver.qmail import sealed
from mailserver.qmail.errors import QmailError

PACKAGE = "mailserver.clamav"
PROGRAMS = {"clamd": "/usr/sbin/clamd", "freshclam": "/usr/bin/freshclam"}  # Debian's


def render(daemon: str, config: str, program: str) -> str:
    """``daemon`` is "clamd" or "freshclam"; ``config`` and ``program`` as the host names them."""
    if daemon not in PROGRAMS:
        raise ValueError(f"no run script template for {daemon!r}")
    return sealed.render(PACKAGE, daemon, [("CONFIG", config)], {daemon: program})


@dataclass(frozen=True)
class ClamScript:
    config: str | None
    managed: bool
    hand_edited: bool


def parse(daemon: str, text: str, program: str) -> ClamScript:
    found = sealed.read(text)
    if found.template != daemon or "CONFIG" not in found.header:
        return ClamScript(None, found.managed, found.managed)
    config = found.header["CONFIG"]
    try:
        return ClamScript(config, True, render(daemon, config, program) != text)
    except QmailError:
        return ClamScript(config, True, True)
