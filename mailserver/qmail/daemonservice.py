"""A daemontools service directory for a daemon that is not qmail-smtpd: spamd, clamd, POP3, IMAP.

Made by :func:`.servicedir.create_service` (complete before svscan sees it, stopped, removed
again on failure), with the panel's log/run and no tcprules file; unlike an SMTP service, one
that is already linked is refused: setting up never replaces a service.
"""

from __future__ import annotations

from pathlib import Path

from .errors import QmailError
from .paths import Roots
from .runscript import render_log
from .servicedir import create_service


def create(roots: Roots, service: str, run: bytes, *, log_name: str, log_user: str) -> Path:
    """ROOTS.qmail/supervise/SERVICE, stopped, linked into ROOTS.service; returns the directory."""
    link = roots.service_dir(service)
    if link.exists() or link.is_symlink():
        raise QmailError(f"{link} already exists; the panel only sets up a service that is not there.")
    log_run = render_log(roots, log_name, log_user).encode()
    return create_service(roots, service, run, log_run, log_user=log_user, rules=None, log_name=log_name)
