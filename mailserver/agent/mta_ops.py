"""MTA operations: read the whole MTA state, and write control files.

Touches ROOTS.qmail/control/NAME for the files of MTA_CONTROLS, and
ROOTS.qmail/alias/.qmail-<discard alias> when double bounces are switched off;
reads the SMTP run scripts and the services' status for the state. Runs no program.

Every write re-validates its payload with the library's rules (control_changes,
the same the form uses), checks that each file still holds what the admin saw,
writes atomically and answers with before/after for the change log plus the state
read back from disk.
"""

from __future__ import annotations

from typing import Any

from mailserver.protocol import Op
from mailserver.protocol.state import MtaState
from mailserver.qmail import atomic, control, doublebounce
from mailserver.qmail.control_changes import ControlsRequest, HostContext, controls_request
from mailserver.qmail.errors import UnreadableFile

from . import mta_state
from .celeryapp import settings
from .operations import FieldError, Payload, operation
from .transaction import FilePlan, HandEdited, serialised


def host_context() -> HostContext:
    """This host's facts for validation: its conf-spawn, and the ports its SMTP services use now."""
    ports = {}
    for service in mta_state.SMTPD_SERVICES:
        script = mta_state.script_state(service)
        if script["exists"] and script["params"]:
            ports[service] = script["params"]["port"]
    return HostContext(conf_spawn=settings.conf_spawn, smtp_ports=ports)


@operation(Op.MTA_READ_STATE)
def read_state(payload: Payload) -> MtaState:
    """Reads ROOTS.qmail/control/*, the SMTP run scripts and the services' status."""
    return mta_state.read_state()


@operation(Op.MTA_WRITE_CONTROLS)
def write_controls(payload: Payload) -> dict[str, Any]:
    """Writes (or removes, to restore the default) ROOTS.qmail/control/NAME for each file given.

    Payload: {"files": {NAME: {"value": V or None, "expect": sha256 or None}},
              "replace_hand_edits": true|false (needed to rewrite a file qmail reads differently
              from what the panel would write, e.g. one with comments or "20x"),
              "double_bounce_discard": true|false (optional; writes ROOTS.qmail/alias/.qmail-<alias>)}.
    All values are validated before anything is written, and the change applies whole or not at all.
    """
    request = controls_request(
        payload, HostContext(conf_spawn=settings.conf_spawn), managed=mta_state.MTA_CONTROLS
    )
    with serialised():
        changes = _plan(request).apply()
    return {"changes": changes, "state": mta_state.read_state()}


def _plan(request: ControlsRequest) -> FilePlan:
    plan = FilePlan()
    for change in request.files:
        path = settings.roots.control(change.name)
        try:
            current = atomic.read_state(path)
        except UnreadableFile as exc:  # a link, fifo or oversized file: never written through
            raise FieldError(change.name, str(exc)) from None
        if not request.replace_hand_edits:
            _refuse_hand_edit(change.name, current)
        plan.add(f"control/{change.name}", path, change.data, change.expect)
    if request.double_bounce_discard:
        alias = settings.roots.alias(doublebounce.DISCARD_ALIAS)
        try:  # ~alias belongs to the alias user: a link or fifo there is refused, never followed
            atomic.read_state(alias)
        except UnreadableFile as exc:
            raise FieldError("double_bounce_discard", str(exc)) from None
        plan.add(str(alias.relative_to(settings.roots.qmail)), alias, doublebounce.DISCARD_CONTENT)
    return plan


def _refuse_hand_edit(name: str, current: atomic.FileState) -> None:
    if not current.exists:
        return
    seen = control.read_value(name, current.content, conf_spawn=settings.conf_spawn)
    if not seen.canonical:
        raise HandEdited(f"control/{name} was edited by hand: {seen.note} Confirm to replace it.", name)
