"""A change to an SMTP service's run script, judged by the same rules in the form and in the agent.

A save sends only the settings its box edits (``FORM_FIELDS``); the others come from
the script on the server when they pass their own check, or from the template
(:func:`inherit`). :func:`changed_params` checks each sent setting beside its field,
:func:`validated` the combination (every refusal names its field, so nothing has to
guess which one failed), and :func:`missing_prerequisites` what the new script needs
on the server to start at all: a script that exits at once would leave supervise
restarting it forever while the page said "up 1 second".
"""

from __future__ import annotations

import dataclasses
import os
import pwd
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .control_changes import HostContext
from .errors import FieldError, InvalidValue, QmailError
from .paths import Roots
from .runparams import (
    SmtpdParams,
    check_bind,
    check_path,
    check_port,
    check_rbl_zones,
    check_softlimit,
    check_user,
    validate_smtpd,
)
from .serverfile import read_optional
from .smtpauth import parse_auth_mode

# What the MTA page's boxes may change. The user tcpserver runs qmail-smtpd as, the
# checkpassword program and the tcprules cdb never come from a payload: they are the
# agent's own configuration (a payload naming "root" and /bin/true would be an open relay).
FORM_FIELDS = ("port", "auth_mode", "rbl_zones", "force_tls", "require_auth")
# What a new script keeps from the one on the server, each only if it passes its own check.
INHERITED = ("port", "bind", "softlimit", "rbl_zones", "auth_mode", "require_auth", "force_tls")


def _text(check: Callable[[str], Any], what: str) -> Callable[[Any], Any]:
    def checked(value: Any) -> Any:
        if not isinstance(value, str):
            raise InvalidValue(f"{what} {value!r} is not text.")
        return check(value)

    return checked


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(f"{value!r} is not true or false.")
    return value


def _zones(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(zone, str) for zone in value):
        raise InvalidValue("rbl_zones must be a list of zone names")
    return check_rbl_zones(tuple(value))


# Ports an SMTP server of the panel must not take: the mail servers' own (tcpserver could not bind
# while they run, or they could not), and SMTPS, where clients speak TLS from the first byte while
# the panel's run script serves plain SMTP with STARTTLS under tcpserver.
NOT_FOR_SMTP = {
    110: "is POP3's (qmail-pop3d): the two servers cannot both listen on it.",
    995: "is Secure POP3's (qmail-pop3d-ssl): the two servers cannot both listen on it.",
    143: "is IMAP's (courier-imapd): the two servers cannot both listen on it.",
    993: "is Secure IMAP's (courier-imapd-ssl): the two servers cannot both listen on it.",
    465: "is SMTPS, where mail clients start TLS at once; this server speaks plain SMTP with "
    "STARTTLS under tcpserver, so their connections would fail.",
}

# Each setting's own check, returning the value to use.
CHECKS: dict[str, Callable[[Any], Any]] = {
    "port": check_port,
    "bind": _text(check_bind, "Bind address"),
    "softlimit": check_softlimit,
    "user": _text(check_user, "User"),
    "tcprules_cdb": _text(lambda value: check_path(value, "tcprules database"), "tcprules database"),
    "rbl_zones": _zones,
    "auth_mode": _text(parse_auth_mode, "Authentication mode"),
    "require_auth": _flag,
    "force_tls": _flag,
    "checkpassword": _text(lambda value: check_path(value, "Checkpassword program"), "Checkpassword program"),
}


def check_setting(field: str, value: Any) -> Any:
    try:
        return CHECKS[field](value)
    except InvalidValue as exc:
        raise FieldError(field, str(exc)) from None


def inherit(
    template: SmtpdParams, current: Mapping[str, Any] | None, guessed: tuple[str, ...], exists: bool
) -> tuple[SmtpdParams, list[str]]:
    """The settings to start from, and the ones reset to the template's default.

    ``current`` is what the script on the server says (None: no script, or one whose exec
    line could not be read). A value the page has no field for (a "Life with qmail"
    ``softlimit -m 2000000``, say) is kept only if valid, or it would block every save.
    """
    if not current:
        return template, list(INHERITED) if exists else []
    kept: dict[str, Any] = {}
    reset = []
    for field in INHERITED:
        try:
            if field in guessed:  # not in the script: shown as a default, reset for real
                raise InvalidValue(f"{field} is not set in the script")
            kept[field] = CHECKS[field](current[field])
        except InvalidValue:
            reset.append(field)
    return dataclasses.replace(template, **kept), reset


def changed_params(data: Mapping[str, Any], base: SmtpdParams) -> SmtpdParams:
    """``base`` with the settings a form sent (FORM_FIELDS only), each checked on its own."""
    refused = sorted(set(data) - set(FORM_FIELDS))
    if refused:
        raise FieldError(
            "params",
            f"The run-script settings {refused} cannot be set through the panel; "
            f"only {', '.join(FORM_FIELDS)} can.",
        )
    return dataclasses.replace(base, **{field: check_setting(field, value) for field, value in data.items()})


def validated(
    service: str, params: SmtpdParams, context: HostContext, roots: Roots | None = None
) -> SmtpdParams:
    """Every setting and combination (FieldError names the field), and the port free of the other server.

    The clash first: the submission server moved onto qmail-smtpd's port 25 is wrong because the
    port is taken, not because of its AUTH, which the guide's reason ("require it on the alternate
    server instead") would tell the admin who is on the alternate server's box already.
    """
    other = context.port_taken(params.port, by_other_than=service)
    if other:
        raise FieldError("port", f"Port {params.port} is already used by {other}.")
    if params.port in NOT_FOR_SMTP:
        why = NOT_FOR_SMTP[params.port]
        raise FieldError("port", f"Port {params.port} {why} Choose another (587 is the usual one).")
    return validate_smtpd(params, roots)


def _first_line(roots: Roots, name: str) -> str | None:
    """The first line of control/NAME as the run script's ``head -n 1`` gets it; None if unreadable."""
    try:
        content = read_optional(roots.control(name))
    except (OSError, QmailError):
        return None
    return None if content is None else content.decode("utf-8", "replace").split("\n", 1)[0].strip()


def carried_concurrency(exec_concurrency: str | None, roots: Roots) -> int | None:
    """The old script's literal ``tcpserver -c N``, to write to control/concurrencyincoming.

    The panel's script reads the limit from that file at each start; when the file is
    absent and the old script said ``-c 20`` itself, the 20 must move into the file,
    or the new script would exit and supervise restart it forever.
    """
    if _first_line(roots, "concurrencyincoming") is not None:
        return None
    if exec_concurrency and re.fullmatch(r"[0-9]{1,6}", exec_concurrency) and int(exec_concurrency) > 0:
        return int(exec_concurrency)
    return None


def missing_prerequisites(
    params: SmtpdParams, roots: Roots, *, concurrency_carried: bool, rules_made: bool = False
) -> list[str]:
    """What the panel's run script needs on the server and does not find there (each a sentence).

    ``rules_made``: the service is being created, and its tcprules file and cdb with it.
    """
    missing = []
    cdb = Path(params.tcprules_cdb)
    if not rules_made and not cdb.is_file():
        # tcpserver -x without its cdb drops every connection ("unable to read cdb"): after
        # NODEWORX_TCPRULES_DIR moved but before the rules were copied, a save would take SMTP down.
        missing.append(
            f"{cdb} is missing: tcpserver would refuse every connection without it. "
            f"Build it from {cdb.with_suffix('')} with tcprules (or copy the rules there first)."
        )
    concurrency = _first_line(roots, "concurrencyincoming")
    if not concurrency_carried and not (concurrency and re.fullmatch(r"[0-9]{1,6}", concurrency)):
        missing.append(
            "control/concurrencyincoming holds no number: the script reads the connection limit from it. "
            "Set Inbound Connections first."
        )
    if not _first_line(roots, "me"):
        missing.append("control/me is missing or empty: the script takes the server's name from it.")
    if _first_line(roots, "rcpthosts") is None:
        missing.append("control/rcpthosts is missing: the script refuses to start an open relay.")
    try:
        pwd.getpwnam(params.user)
    except KeyError:
        missing.append(f"There is no user {params.user!r} to run qmail-smtpd as.")
    programs = ["softlimit", "tcpserver", *(["rblsmtpd"] if params.rbl_zones else [])]
    for program in programs:
        path = roots.program(program)
        if not os.access(path, os.X_OK):
            missing.append(f"{path} is missing: install daemontools and ucspi-tcp.")
    return missing
