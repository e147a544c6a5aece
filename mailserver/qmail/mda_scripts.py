"""Run scripts of the POP3 and IMAP servers: qmail-pop3d(-ssl) and Courier's imapd(-ssl).

qmail-pop3d's script carries its settings in its sealed header (``MEMORY_LIMIT``,
``MAX_CONNECTIONS``, address, port, checkpassword, Maildir) and runs tcpserver under
softlimit, as "Life with qmail" does; the secure one puts Courier's ``couriertls -server
-tcpd`` (Debian's courier-base) between tcpserver and qmail-popup, with qmail's own
``control/servercert.pem`` (key and certificate in one file, which couriertls reads).

Courier's script reads ``MAXDAEMONS`` and ``IMAP_ULIMITD`` from Courier's files at each
start, exactly as Debian's ``/usr/sbin/imapd`` and ``imapd-ssl`` do, and runs couriertcpd in
the foreground under ``softlimit -m``. Its header only says which of the two it is.

A script the panel did not write is read as far as its exec line allows (``softlimit -m``,
``tcpserver -c``, ``couriertcpd -maxprocs=``), to show what the server runs today.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from . import sealed
from .errors import QmailError
from .execline import logical_lines, parse_exec_line, static_assignments
from .mda import SERVERS, check_connections, check_memory_limit
from .paths import Roots
from .runparams import check_bind, check_path, check_port

QMAIL_PACKAGE = "mailserver.qmail"
COURIER_PACKAGE = "mailserver.courier"
# The marker names templates with lower-case letters only (runscript._MARKER): "pop", not "pop3d".
POP_TEMPLATE = "pop"
DEFAULT_MAILDIR = "./Maildir/"
# Debian's paths (dpkg -L courier-base courier-imap), resolved under Roots.system.
COURIERTLS = "usr/bin/couriertls"
COURIERTCPD = "usr/sbin/couriertcpd"
IMAPLOGIN = "usr/lib/courier/courier/imaplogin"
IMAPD = "usr/bin/imapd"


@dataclass(frozen=True, kw_only=True)
class Pop3dParams:
    memory_limit: int
    connections: int
    address: str = "0"
    port: int = 110
    checkpassword: str = "/home/vpopmail/bin/vchkpw"
    maildir: str = DEFAULT_MAILDIR
    tls_certfile: str | None = None  # set for the secure server only

    @classmethod
    def default(cls, service: str, roots: Roots, checkpassword: str) -> Pop3dParams:
        mda = SERVERS[service]
        return cls(
            memory_limit=mda.default_memory,
            connections=mda.default_connections,
            port=mda.port,
            checkpassword=checkpassword,
            tls_certfile=str(roots.control_dir / "servercert.pem") if mda.secure else None,
        )


def validate_pop3d(service: str, params: Pop3dParams) -> Pop3dParams:
    check_memory_limit(service, params.memory_limit)
    check_connections(service, params.connections)
    check_bind(params.address)
    check_port(params.port)
    check_path(params.checkpassword, "Checkpassword program")
    if not re.fullmatch(r"\./[A-Za-z0-9_.-]+/?", params.maildir):
        raise QmailError(
            f"Maildir {params.maildir!r} must be relative to the home directory, e.g. ./Maildir/"
        )
    if SERVERS[service].secure != (params.tls_certfile is not None):
        raise QmailError(f"{service}: a certificate is needed exactly for the secure server")
    if params.tls_certfile is not None:
        check_path(params.tls_certfile, "Certificate")
    return params


def render_pop3d(service: str, params: Pop3dParams, roots: Roots) -> str:
    validate_pop3d(service, params)
    header = [
        ("LISTEN_ADDRESS", params.address),
        ("LISTEN_PORT", str(params.port)),
        ("MEMORY_LIMIT", str(params.memory_limit)),
        ("MAX_CONNECTIONS", str(params.connections)),
        ("CHECKPASSWORD", params.checkpassword),
        ("MAILDIR", params.maildir),
    ]
    tls_check = tls = ""
    if params.tls_certfile is not None:
        header.append(("TLS_CERTFILE", params.tls_certfile))
        tls_check = (
            "\n# couriertls reads the key and certificate from TLS_CERTFILE (one PEM file).\n"
            "export TLS_CERTFILE\n"
            'if [ ! -r "$TLS_CERTFILE" ]; then\n'
            '    echo "The certificate $TLS_CERTFILE is missing or unreadable: secure POP3 cannot start"\n'
            "    exit 1\n"
            "fi\n"
        )
        tls = f"{check_path(str(roots.system / COURIERTLS), 'couriertls')} -server -tcpd \\\n    "
    paths = {"control": str(roots.control_dir), "bin": str(roots.bin), "qmail": str(roots.qmail)}
    return sealed.render(QMAIL_PACKAGE, POP_TEMPLATE, header, paths, tls_check=tls_check, tls=tls)


@dataclass(frozen=True)
class ScriptReading:
    """What a POP3 or IMAP run script on the server says about the two settings."""

    managed: bool
    hand_edited: bool
    outdated: bool
    memory_limit: int | None  # None: not said, or not a constant
    connections: int | None
    params: Pop3dParams | None = None  # a panel-written qmail-pop3d script's full settings
    notes: tuple[str, ...] = ()


def _number(value: str | None) -> int | None:
    return int(value) if value and re.fullmatch(r"[0-9]{1,12}", value) else None


def _pop3d_from_header(service: str, header: dict[str, str]) -> Pop3dParams | None:
    try:
        return Pop3dParams(
            memory_limit=int(header["MEMORY_LIMIT"]),
            connections=int(header["MAX_CONNECTIONS"]),
            address=header["LISTEN_ADDRESS"],
            port=int(header["LISTEN_PORT"]),
            checkpassword=header["CHECKPASSWORD"],
            maildir=header["MAILDIR"],
            tls_certfile=header.get("TLS_CERTFILE"),
        )
    except (KeyError, ValueError):
        return None


def read_pop3d(service: str, text: str, roots: Roots) -> ScriptReading:
    found = sealed.read(text)
    if found.template == POP_TEMPLATE:
        params = _pop3d_from_header(service, found.header)
        if params is not None:
            outdated = found.version != sealed.template_version(QMAIL_PACKAGE, POP_TEMPLATE)
            try:
                edited = render_pop3d(service, params, roots) != text
            except QmailError:
                edited = True  # a value the panel would refuse
            return ScriptReading(True, edited, outdated, params.memory_limit, params.connections, params)
    line = parse_exec_line(text)
    notes = () if line else ("Its exec line does not run tcpserver: the settings could not be read.",)
    return ScriptReading(
        found.managed, found.managed, False,
        _number(line.softlimit) if line else None, _number(line.concurrency) if line else None, None, notes,
    )  # fmt: skip


def render_imapd(service: str, roots: Roots, courier_dir: str) -> str:
    """Courier's imapd (or imapd-ssl) under supervise, reading its settings from ``courier_dir``."""
    secure = SERVERS[service].secure
    system = roots.system
    paths = {
        "bin": str(roots.bin),
        "courier": courier_dir,
        "couriertcpd": str(system / COURIERTCPD),
        "imaplogin": str(system / IMAPLOGIN),
        "imapd": str(system / IMAPD),
    }
    parts = {
        "ssl_file_note": " then imapd-ssl" if secure else "",
        "ssl_source": f". {check_path(courier_dir, 'Courier directory')}/imapd-ssl\nIMAP_TLS=1\n"
        if secure
        else "",
        "limits_file": "imapd-ssl (or imapd)" if secure else "imapd",
        "address_var": "SSLADDRESS" if secure else "ADDRESS",
        "port_var": "SSLPORT" if secure else "PORT",
        "tls_setup": _TLS_SETUP if secure else "",
        "tls": f"{check_path(str(system / COURIERTLS), 'couriertls')} -server -tcpd -user=courier \\\n    "
        if secure
        else "",
    }
    return sealed.render(COURIER_PACKAGE, "imapd", [("SECURE", "yes" if secure else "no")], paths, **parts)


# As Debian's imapd-ssl: couriertls (running as courier) keeps its session cache in a file
# made afresh at each start, and reads key and certificate from TLS_CERTFILE.
_TLS_SETUP = """
if [ -n "$TLS_CACHEFILE" ]; then
    rm -f "$TLS_CACHEFILE"
    touch "$TLS_CACHEFILE"
    chown courier:courier "$TLS_CACHEFILE"
    chmod 600 "$TLS_CACHEFILE"
fi
if [ ! -r "$TLS_CERTFILE" ]; then
    echo "The certificate $TLS_CERTFILE is missing or unreadable: secure IMAP cannot start"
    exit 1
fi
"""


def read_imapd(service: str, text: str, roots: Roots, courier_dir: str) -> ScriptReading:
    """Whether the script is the panel's; for another, what its exec line uses instead of
    Courier's MAXDAEMONS and IMAP_ULIMITD (a constant -maxprocs or softlimit overrides them)."""
    found = sealed.read(text)
    if found.template == "imapd":
        outdated = found.version != sealed.template_version(COURIER_PACKAGE, "imapd")
        edited = render_imapd(service, roots, courier_dir) != text
        return ScriptReading(True, edited, outdated, None, None)
    known = static_assignments(text)
    memory = connections = None
    notes = []
    for line in logical_lines(text):
        if "couriertcpd" not in line:
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        for index, word in enumerate(words):
            if word.startswith("-maxprocs="):
                value = word.split("=", 1)[1]
                connections = _number(known.get(value.lstrip("$"), value) if value.startswith("$") else value)
                if value.lstrip("$") != "MAXDAEMONS" and connections is None:
                    notes.append(f"couriertcpd gets -maxprocs={value}, not Courier's MAXDAEMONS.")
            if word.endswith("softlimit") and words[index + 1 : index + 2] == ["-m"]:
                memory = _number(words[index + 2] if len(words) > index + 2 else None)
    if connections is not None:
        notes.append(f"couriertcpd gets -maxprocs={connections}: Courier's MAXDAEMONS is not used.")
    if memory is not None:
        notes.append(f"softlimit -m {memory} is written into the script: Courier's IMAP_ULIMITD is not used.")
    return ScriptReading(found.managed, found.managed, False, memory, connections, None, tuple(notes))
