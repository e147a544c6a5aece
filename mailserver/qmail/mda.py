"""The guide's MDA settings for each POP3 and IMAP server: a memory limit and a connection limit.

Where each lives:

- qmail-pop3d and qmail-pop3d-ssl: the panel's run script (``softlimit -m`` and
  ``tcpserver -c``; :mod:`.mda_scripts`). qmail-pop3d has no configuration file.
- courier-imapd and courier-imapd-ssl: Courier's own files, which Debian's init scripts
  read too (:mod:`mailserver.courier.config`): ``MAXDAEMONS`` is couriertcpd's
  ``-maxprocs``, ``IMAP_ULIMITD`` (kB) the memory limit. The secure server reads
  ``imapd`` and then ``imapd-ssl``, so a value in ``imapd-ssl`` is its own.

The memory limit is applied with ``softlimit -m``, which caps data, stack and address
space of *each* process of a session (tcpserver or couriertcpd, the TLS wrapper, the
login program, the server), not their sum. ``-m`` kills threaded daemons (it caps the
stack too, and each thread reserves that much); every program here is single-threaded
(``ps -L`` shows one thread each for couriertcpd, couriertls, imaplogin and imapd), so
``-m`` is safe for them. Too low a limit is another matter: the dynamic loader cannot even
map the shared libraries, and every login fails. The floors below are twice what a login
to an empty mailbox needed on Debian 12 amd64 (measured with ``softlimit -m`` in 1 MB
steps: tcpserver 3 MB, couriertls 10 MB, Courier IMAP 7 MB, Courier IMAP over TLS 15 MB);
a mailbox with many messages needs more, hence the larger defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import FieldError

MB = 1_000_000
MEMORY_MAX = 2 * 1024 * 1024 * 1024  # beyond this the limit no longer protects the host
CONNECTIONS_MAX = 1000  # each connection is a process (or three); more is a fork bomb's worth
FIELDS = ("memory_limit", "connections")


@dataclass(frozen=True)
class MdaServer:
    name: str  # the daemontools service
    label: str  # as the guide names the settings: "POP3", "Secure IMAP"
    courier: bool  # settings in Courier's files, else in the run script
    secure: bool
    port: int
    memory_floor: int
    needs: str  # what fails below the floor
    default_memory: int
    default_connections: int = 40


SERVERS: dict[str, MdaServer] = {
    server.name: server
    for server in (
        MdaServer(
            "qmail-pop3d", "POP3", False, False, 110, 10 * MB,
            "tcpserver alone needs 3 MB to load the C library, and the checkpassword program "
            "(vchkpw with its database libraries) several more",
            32 * MB,
        ),
        MdaServer(
            "qmail-pop3d-ssl", "Secure POP3", False, True, 995, 20 * MB,
            "couriertls, which does the TLS, needs 10 MB to load GnuTLS",
            64 * MB,
        ),
        MdaServer(
            "courier-imapd", "IMAP", True, False, 143, 16 * MB,
            "imaplogin needs 7 MB to load its C++ library before the first login",
            128 * 1024 * 1024,  # Debian's IMAP_ULIMITD=131072 (kB)
        ),
        MdaServer(
            "courier-imapd-ssl", "Secure IMAP", True, True, 993, 32 * MB,
            "a login over TLS needs 15 MB (couriertls with GnuTLS, then imaplogin)",
            128 * 1024 * 1024,
        ),
    )
}  # fmt: skip


def server(name: object) -> MdaServer:
    found = SERVERS.get(name) if isinstance(name, str) else None
    if found is None:
        raise FieldError("service", f"{name!r} is not a POP3 or IMAP server of this page")
    return found


def _whole(field: str, raw: object, what: str) -> int:
    if isinstance(raw, bool) or not (
        isinstance(raw, int) or (isinstance(raw, str) and re.fullmatch(r"[0-9]{1,12}", raw.strip()))
    ):
        raise FieldError(field, f"{what} must be a whole number, not {str(raw)[:30]!r}.")
    return int(raw)


def check_memory_limit(name: str, raw: object) -> int:
    """Bytes of address space for each process of ``name``; refuses what would stop every login."""
    mda = server(name)
    value = _whole("memory_limit", raw, f"{mda.label} memory limit")
    if value < mda.memory_floor:
        raise FieldError(
            "memory_limit",
            f"{value / MB:g} MB is too small for {mda.name}: the limit applies to each of its "
            f"processes, and {mda.needs}. Below that the server starts but every login fails. "
            f"Use at least {mda.memory_floor / MB:g} MB.",
        )
    if value > MEMORY_MAX:
        raise FieldError(
            "memory_limit",
            f"{value / MB:g} MB is more than {MEMORY_MAX / MB:g} MB: at that size the limit no longer "
            "protects the host from a runaway process.",
        )
    return value


def check_connections(name: str, raw: object) -> int:
    mda = server(name)
    value = _whole("connections", raw, f"{mda.label} connections")
    if not 1 <= value <= CONNECTIONS_MAX:
        raise FieldError(
            "connections",
            f"{mda.label} connections must be 1 to {CONNECTIONS_MAX}: "
            "each connection is a process of its own.",
        )
    return value


def check_field(name: str, field: str, raw: object) -> int:
    if field == "memory_limit":
        return check_memory_limit(name, raw)
    if field == "connections":
        return check_connections(name, raw)
    raise FieldError(field, f"{field!r} is not a setting of the MDA page")
