"""Virus Filtering operations: read the state (databases, clamd, freshclam), scan the EICAR string.

Touches nothing: reads clamd.conf and freshclam.conf (ROOTS.system/etc/clamav), the headers
of the databases in clamd's DatabaseDirectory, freshclam's UpdateLogFile (or the multilog
log of the supervised freshclam), the services' status, and asks clamd through the socket
clamd.conf names (PING, VERSION, INSTREAM of the 68-byte EICAR test string).
"""

from __future__ import annotations

from typing import Any

from mailserver.clamav import clamd, conf, database, freshclam
from mailserver.protocol import Op
from mailserver.protocol.filters import Database, Freshclam, VirusState
from mailserver.qmail import logtail
from mailserver.qmail.errors import QmailError
from mailserver.qmail.hostpath import on_host

from .celeryapp import settings
from .daemons import answer_of, auto_restart
from .operations import Payload, operation
from .service_ops import statuses
from .simscan_ops import alerts, scanning_state

SERVICES = ("clamd", "freshclam")
_LOG_LINES = 400


def freshclam_state(fresh: conf.ClamConf) -> Freshclam:
    roots = settings.roots
    named = fresh.get("UpdateLogFile")
    lines: list[str] = []
    problem = None
    if named:
        path = on_host(roots, named)
        try:
            lines = freshclam.tail_lines(path)
        except QmailError as exc:
            problem = str(exc)
        where = str(path)
    else:
        directory = logtail.log_directory(roots, "freshclam") or roots.log_dir("freshclam")
        lines = [line.text for line in logtail.last_lines(directory, _LOG_LINES)]
        where = str(directory / "current")
    attempt = freshclam.last_attempt(lines)
    return {
        "log": where,
        "started": attempt.started if attempt else None,
        "started_text": attempt.started_text if attempt else "",
        "result": attempt.result if attempt else None,
        "errors": list(attempt.errors) if attempt else [],
        "lines": list(attempt.lines) if attempt else [],
        "problem": problem,
    }


def virus_state() -> VirusState:
    roots = settings.roots
    clamd_conf = conf.clamd_conf(roots)
    fresh_conf = conf.freshclam_conf(roots)
    directory = conf.database_dir(roots, clamd_conf)
    found = database.read_databases(directory)
    where = clamd.endpoint(roots, clamd_conf)
    answer = clamd.ask(where, timeout=3.0)
    return {
        "node": settings.node,
        "services": statuses(SERVICES),
        "auto_restart": {name: auto_restart(name) for name in SERVICES},
        "smtp_scanning": scanning_state(),
        "database_dir": str(directory),
        "databases": {name: answer_of(info, Database) for name, info in found.official.items()},
        "database_problems": dict(found.problems),
        "local_signatures": [{"file": s.file, "signatures": s.signatures} for s in found.local],
        "clamd": {
            "endpoint": where.describe() if where else None,
            "answering": answer.answering,
            "version": answer.version,
            "engine": answer.engine,
            "daily_version": answer.daily_version,
            "error": answer.error,
        },
        "freshclam": freshclam_state(fresh_conf),
        "config": {
            "clamd": {
                "path": str(clamd_conf.path),
                "exists": clamd_conf.exists,
                "example": clamd_conf.example,
            },
            "freshclam": {
                "path": str(fresh_conf.path),
                "exists": fresh_conf.exists,
                "example": fresh_conf.example,
            },
            "databases_to_load": found.any_loaded,
        },
        "alerts": alerts(),
    }


@operation(Op.VIRUS_READ_STATE)
def read_state(payload: Payload) -> VirusState:
    return virus_state()


@operation(Op.VIRUS_SCAN_EICAR)
def scan_eicar(payload: Payload) -> dict[str, Any]:
    """clamd's verdict on the EICAR test string (harmless; every scanner reports it)."""
    roots = settings.roots
    verdict = clamd.scan(clamd.endpoint(roots, conf.clamd_conf(roots)))
    return {"found": verdict.found, "signature": verdict.signature, "answer": verdict.raw}
