"""A running clamd, asked through pyclamd: does it answer, which version, and the EICAR test.

clamd listens where clamd.conf says: ``LocalSocket`` (preferred here: no network at all) or
``TCPSocket``/``TCPAddr``. pyclamd's constructors connect at once and raise when clamd is
down, so every question goes through :func:`_connect`, which turns that into an answer the
page can show. ``VERSION`` says ``ClamAV 1.4.6/27500/<date>`` with a daily database loaded,
and just ``ClamAV 1.4.6`` without one (the offline test server).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyclamd

from mailserver.qmail.errors import QmailError
from mailserver.qmail.hostpath import on_host
from mailserver.qmail.paths import Roots

from .conf import ClamConf

TIMEOUT = 10.0
# The EICAR test file (68 bytes): every virus scanner reports it, and it harms nothing.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class ClamdUnreachable(QmailError):
    """clamd does not answer where clamd.conf says it listens."""


@dataclass(frozen=True)
class Endpoint:
    socket: Path | None  # LocalSocket, as this agent opens it
    host: str | None
    port: int | None

    def describe(self) -> str:
        return str(self.socket) if self.socket else f"{self.host}:{self.port}"


def endpoint(roots: Roots, conf: ClamConf) -> Endpoint | None:
    """Where clamd listens according to ``conf``; None when it names no socket at all."""
    local = conf.get("LocalSocket")
    if local:
        return Endpoint(on_host(roots, local), None, None)
    port = conf.get("TCPSocket")
    if port and port.isdigit():
        return Endpoint(None, conf.get("TCPAddr", "127.0.0.1") or "127.0.0.1", int(port))
    return None


def _connect(where: Endpoint, timeout: float) -> pyclamd.ClamdUnixSocket | pyclamd.ClamdNetworkSocket:
    try:
        if where.socket is not None:
            return pyclamd.ClamdUnixSocket(filename=str(where.socket), timeout=timeout)
        return pyclamd.ClamdNetworkSocket(host=where.host, port=where.port, timeout=timeout)
    except (pyclamd.ConnectionError, OSError) as exc:
        raise ClamdUnreachable(f"clamd does not answer on {where.describe()}: {exc}") from None


@dataclass(frozen=True)
class Answer:
    answering: bool
    version: str | None  # "ClamAV 1.4.6/27500/Wed Nov 25 13:34:03 2026"
    engine: str | None  # "1.4.6"
    daily_version: int | None  # the daily database clamd has loaded
    error: str | None


def parse_version(text: str) -> tuple[str | None, int | None]:
    """``ClamAV 1.4.6/27500/date`` → ("1.4.6", 27500); without a daily database, ("1.4.6", None)."""
    parts = text.strip().split("/")
    engine = parts[0].removeprefix("ClamAV ").strip() or None
    daily = int(parts[1]) if len(parts) > 1 and parts[1].strip().isdigit() else None
    return engine, daily


def ask(where: Endpoint | None, timeout: float = TIMEOUT) -> Answer:
    """PING and VERSION; never raises for a clamd that is down."""
    if where is None:
        return Answer(False, None, None, None, "clamd.conf names neither LocalSocket nor TCPSocket")
    try:
        clamd = _connect(where, timeout)
        pong = clamd.ping()
        version = clamd.version()
    except ClamdUnreachable as exc:
        return Answer(False, None, None, None, str(exc))
    except (TimeoutError, pyclamd.ConnectionError, OSError) as exc:
        return Answer(False, None, None, None, f"clamd did not answer: {exc}")
    engine, daily = parse_version(version or "")
    return Answer(bool(pong), version, engine, daily, None)


@dataclass(frozen=True)
class Verdict:
    found: bool
    signature: str | None  # "Eicar-Test-Signature" / "Test.EICAR.HDB.UNOFFICIAL"
    raw: str  # clamd's answer as pyclamd gave it


def scan(where: Endpoint | None, data: bytes = EICAR, timeout: float = TIMEOUT) -> Verdict:
    """clamd's verdict on ``data`` (INSTREAM); raises ClamdUnreachable when it does not answer."""
    if where is None:
        raise ClamdUnreachable("clamd.conf names neither LocalSocket nor TCPSocket")
    clamd = _connect(where, timeout)
    try:
        result = clamd.scan_stream(data)
    except (TimeoutError, pyclamd.ConnectionError, OSError) as exc:
        raise ClamdUnreachable(f"clamd did not finish the scan: {exc}") from None
    if not result:
        return Verdict(False, None, "stream: OK")
    status, name = result.get("stream", ("", ""))
    return Verdict(status == "FOUND", name or None, f"stream: {name} {status}")
