"""SMTP run-script operation: write ROOTS.service/NAME/run for qmail-smtpd or qmail-submission.

Touches ROOTS.service/NAME/run (and, for a new alternate server, its whole service
directory under ROOTS.qmail/supervise, its log directory under ROOTS.log and the
tcprules source and cdb under ROOTS.tcprules, through mailserver.qmail.servicedir),
and control/concurrencyincoming when the old script's own ``-c N`` must move there.
Runs tcprules (only to create a missing cdb).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mailserver.protocol import Op
from mailserver.protocol.state import ScriptState
from mailserver.qmail import atomic, execline, runscript, servicedir, smtpd_changes
from mailserver.qmail.control_changes import file_change
from mailserver.qmail.errors import Conflict, InvalidValue
from mailserver.qmail.runparams import SmtpdParams

from . import mta_state
from .celeryapp import settings
from .mta_ops import host_context
from .operations import FieldError, Payload, operation, require
from .transaction import FilePlan, HandEdited, changed_meanwhile, serialised, text

RULES = {"qmail-smtpd": "smtp", "qmail-submission": "submission"}  # service -> tcprules name


def template_params(service: str) -> SmtpdParams:
    """The template's defaults for ``service``, with the identities the agent is configured with."""
    roots = settings.roots
    base = SmtpdParams.primary(roots) if service == "qmail-smtpd" else SmtpdParams.submission(roots)
    return dataclasses.replace(
        base,
        tcprules_cdb=str(roots.rules(RULES[service])[1]),
        user=settings.smtpd_user,
        checkpassword=settings.checkpassword,
    )


@operation(Op.MTA_WRITE_SMTPD)
def write_smtpd(payload: Payload) -> dict[str, Any]:
    """Payload: {"service", "params": {only the settings to change, among FORM_FIELDS},
    "expect": sha256 or null, "replace_hand_edit": bool}.

    The other settings stay as the script has them when valid (the answer's "reset" lists
    those put back to the template's default; "notes" says what moved elsewhere), except the
    smtpd user, checkpassword and tcprules cdb, which are always the agent's own. A script
    edited by hand (or not written by the panel) is replaced only when replace_hand_edit is
    true, i.e. after the admin has seen and confirmed it. A missing service (the alternate
    server) is created stopped, with ``down`` files. Nothing is written when the new script
    could not start on this server.
    """
    service = require(payload, "service", str)
    if service not in mta_state.SMTPD_SERVICES:
        raise FieldError("service", f"{service!r} is not an SMTP service")
    asked = require(payload, "params", dict)
    expect = atomic.expectation(payload, "expect")
    confirmed = payload.get("replace_hand_edit") is True
    with serialised():
        changes, reset, notes = _write(service, asked, expect, confirmed)
    return {"changes": changes, "reset": reset, "notes": notes, "state": mta_state.read_state()}


def _write(
    service: str, asked: dict[str, Any], expect: atomic.Expect, confirmed: bool
) -> tuple[list[Any], list[str], list[str]]:
    current = mta_state.script_state(service)
    if current["problem"]:  # a link, fifo or oversized file: never written through
        raise FieldError("service", current["problem"])
    base, reset = smtpd_changes.inherit(
        template_params(service), current["params"], tuple(current["guessed"]), current["exists"]
    )
    params = smtpd_changes.validated(
        service, smtpd_changes.changed_params(asked, base), host_context(), settings.roots
    )
    reset = [field for field in reset if field not in asked]
    if current["exists"] and (current["hand_edited"] or not current["managed"]) and not confirmed:
        raise HandEdited(
            f"The run script of {service} was edited by hand (or not written by this panel). "
            "Review it below and confirm to replace it."
        )

    plan, notes = FilePlan(), []
    carried = smtpd_changes.carried_concurrency(_old_concurrency(current), settings.roots)
    if carried is not None:
        plan.add(
            "control/concurrencyincoming",
            settings.roots.control("concurrencyincoming"),
            file_change("concurrencyincoming", str(carried), host_context()),
            expect=None,
        )
        notes.append(f"control/concurrencyincoming = {carried}, the old script's tcpserver -c {carried}")
    link = settings.roots.service_dir(service)
    missing = smtpd_changes.missing_prerequisites(
        params, settings.roots, concurrency_carried=carried is not None, rules_made=not link.exists()
    )
    if missing:
        raise InvalidValue(
            f"The new run script of {service} could not start on this server, so it was not written: "
            + " ".join(missing)
        )
    run = runscript.render_smtpd(params, settings.roots).encode()
    if not link.exists():
        return _create(service, run, expect, plan), reset, notes
    path = link / "run"
    before = atomic.read_state(path)
    if before.exists and before.content == run and not plan.steps:
        if not atomic.still_as_seen(before, expect):
            raise Conflict(changed_meanwhile(f"service {service}/run"))
        return [], reset, notes
    plan.add(f"service {service}/run", path, run, expect, mode=0o755)
    return plan.apply(), reset, notes


def _old_concurrency(current: ScriptState) -> str | None:
    """The ``tcpserver -c`` of a script the panel did not write (its text travels in the state)."""
    if not current["exists"] or current["managed"]:
        return None  # the panel's own scripts read control/concurrencyincoming already
    line = execline.parse_exec_line(current["text"])
    return line.concurrency if line else None


def _create(service: str, run: bytes, expect: atomic.Expect, plan: FilePlan) -> list[Any]:
    changes = plan.apply()
    log_run = runscript.render_log(settings.roots, service.removeprefix("qmail-"), settings.log_user).encode()
    servicedir.create_service(
        settings.roots, service, run, log_run, log_user=settings.log_user, rules=RULES[service], expect=expect
    )
    return [
        *changes,
        {"target": f"service {service}", "action": "create", "before": "", "after": "created, stopped\n"},
        {"target": f"service {service}/run", "action": "write", "before": "", "after": text(run)},
    ]
