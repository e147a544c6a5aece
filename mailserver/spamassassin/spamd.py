"""spamd under daemontools: its run script, and a running spamd asked over its own protocol.

The run script keeps spamd in the foreground (never ``-d`` under supervise), as spamd's
unprivileged user, reading the site directory the panel writes ``local.cf`` into. A change
to the site configuration takes effect when spamd restarts: ``svc -t`` (a HUP would make
spamd re-exec itself under a new pid, which supervise would take for an exit).

:func:`ping` and :func:`check` speak SPAMC/1.5, as ``spamc -K`` and ``spamc -c`` do, so the
panel can say whether spamd answers and what it scores a message without spamc installed.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass

from mailserver.qmail import sealed
from mailserver.qmail.errors import FieldError, QmailError, UnreadableFile
from mailserver.qmail.hostpath import on_host
from mailserver.qmail.paths import Roots
from mailserver.qmail.runparams import check_bind, check_path, check_port, check_user
from mailserver.qmail.serverfile import read_optional

from .site import site_dir

PACKAGE = "mailserver.spamassassin"
TEMPLATE = "spamd"
GTUBE = (
    b"Subject: GTUBE test from the control panel\r\n\r\n"
    b"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n"
)
_RESULT = re.compile(r"Spam: (True|False|Yes|No) ; (-?[0-9.]+) / (-?[0-9.]+)", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class SpamdParams:
    site_dir: str  # SpamAssassin's site configuration: /etc/spamassassin on Debian
    home_dir: str  # spamd's own: helper home, and users/<name> for per-user data
    spamd: str = "/usr/sbin/spamd"
    user: str = "debian-spamd"
    address: str = "127.0.0.1"
    port: int = 783
    allowed_ips: str = "127.0.0.1"
    max_children: int = 5
    network_tests: bool = True


def validate(params: SpamdParams) -> SpamdParams:
    for field, value, what in (
        ("site_dir", params.site_dir, "Site directory"),
        ("home_dir", params.home_dir, "spamd's home directory"),
        ("spamd", params.spamd, "spamd program"),
    ):
        try:
            check_path(value, what)
        except QmailError as exc:
            raise FieldError(field, str(exc)) from None
    try:
        check_user(params.user)
        check_bind(params.address)
        check_port(params.port)
    except QmailError as exc:
        raise FieldError("spamd", str(exc)) from None
    if not re.fullmatch(r"[0-9./:,a-fA-F]{1,200}", params.allowed_ips):
        raise FieldError("allowed_ips", f"{params.allowed_ips!r} is not a list of addresses for spamd -A.")
    if not 1 <= params.max_children <= 100:
        raise FieldError("max_children", "spamd's children must be 1 to 100.")
    return params


def render(params: SpamdParams) -> str:
    validate(params)
    header = [
        ("SITE_DIR", params.site_dir),
        ("HOME_DIR", params.home_dir),
        ("SPAMD_USER", params.user),
        ("LISTEN_ADDRESS", params.address),
        ("LISTEN_PORT", str(params.port)),
        ("ALLOWED_IPS", params.allowed_ips),
        ("MAX_CHILDREN", str(params.max_children)),
        ("NETWORK_TESTS", "yes" if params.network_tests else "no"),
    ]
    return sealed.render(PACKAGE, TEMPLATE, header, {"spamd": params.spamd})


@dataclass(frozen=True)
class SpamdScript:
    params: SpamdParams | None  # None: not the panel's (or its header is beyond reading)
    managed: bool
    hand_edited: bool


def parse(text: str, spamd_program: str) -> SpamdScript:
    found = sealed.read(text)
    if found.template != TEMPLATE:
        return SpamdScript(None, managed=found.managed, hand_edited=found.managed)
    header = found.header
    try:
        params = SpamdParams(
            site_dir=header["SITE_DIR"],
            home_dir=header["HOME_DIR"],
            spamd=spamd_program,
            user=header["SPAMD_USER"],
            address=header["LISTEN_ADDRESS"],
            port=int(header["LISTEN_PORT"]),
            allowed_ips=header["ALLOWED_IPS"],
            max_children=int(header["MAX_CHILDREN"]),
            network_tests=header["NETWORK_TESTS"] != "no",
        )
        return SpamdScript(params, True, render(params) != text)
    except (KeyError, ValueError, QmailError):
        return SpamdScript(None, True, True)


SERVICE = "spamd"
PROGRAM = "usr/sbin/spamd"  # Debian's, under Roots.system


def defaults(roots: Roots) -> SpamdParams:
    """Debian's spamd: its user (NODEWORX_SPAMD_USER overrides), home, port 783 on loopback."""
    return SpamdParams(
        site_dir=str(site_dir(roots)),
        home_dir=str(on_host(roots, "/var/lib/spamassassin")),
        spamd=str(roots.system / PROGRAM),
        user=os.environ.get("NODEWORX_SPAMD_USER", "debian-spamd"),
    )


def _guess(text: str, base: SpamdParams) -> SpamdParams:
    """Port, address and user of a spamd run script the panel did not write."""

    def option(short: str, long: str) -> str | None:
        found = re.search(rf"(?:\s-{short}\s*|\s--{long}[= ])([^\s\\]+)", text)
        return found[1].strip("'\"") if found else None

    port = option("p", "port")
    return SpamdParams(
        site_dir=base.site_dir,
        home_dir=base.home_dir,
        spamd=base.spamd,
        user=option("u", "username") or base.user,
        address=option("i", "listen") or base.address,
        port=int(port) if port and port.isdigit() else base.port,
    )


def configured(roots: Roots) -> tuple[SpamdParams, SpamdScript | None]:
    """spamd's settings as its run script says (the panel's header, or a guess from another's
    exec line), else Debian's defaults; and what the script is (None: there is none)."""
    base = defaults(roots)
    try:
        data = read_optional(roots.service_dir(SERVICE) / "run")
    except UnreadableFile:
        data = None
    if not data:
        return base, None
    text = data.decode("utf-8", "replace")
    script = parse(text, base.spamd)
    return (script.params or _guess(text, base)), script


class SpamdUnreachable(QmailError):
    """spamd did not answer: down, still starting, or not listening where its run script says."""


@dataclass(frozen=True)
class Verdict:
    spam: bool
    score: float
    threshold: float  # the required_score spamd applied


def _exchange(host: str, port: int, request: bytes, timeout: float) -> str:
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.sendall(request)
            conn.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
    except OSError as exc:
        raise SpamdUnreachable(f"spamd does not answer on {host}:{port}: {exc}") from None
    return b"".join(chunks).decode("utf-8", "replace")


def ping(host: str, port: int, timeout: float = 3.0) -> bool:
    """Whether spamd answers PING with PONG (what ``spamc -K`` asks)."""
    try:
        return "PONG" in _exchange(host, port, b"PING SPAMC/1.5\r\n\r\n", timeout).split("\r\n", 1)[0]
    except SpamdUnreachable:
        return False


def check(host: str, port: int, message: bytes, *, user: str | None = None, timeout: float = 30.0) -> Verdict:
    """spamd's verdict on ``message`` (CHECK: score only, the message is not returned)."""
    head = f"CHECK SPAMC/1.5\r\nContent-length: {len(message)}\r\n"
    if user:
        if not re.fullmatch(r"[A-Za-z0-9._@+-]{1,100}", user):
            raise FieldError("user", f"{user!r} is not a user name spamd can be given.")
        head += f"User: {user}\r\n"
    answer = _exchange(host, port, head.encode() + b"\r\n" + message, timeout)
    status = answer.split("\r\n", 1)[0]
    found = _RESULT.search(answer)
    if not status.startswith("SPAMD/") or " 0 " not in f"{status} " or not found:
        raise SpamdUnreachable(f"spamd answered {status!r} instead of a verdict.")
    return Verdict(found[1].lower() in ("true", "yes"), float(found[2]), float(found[3]))
