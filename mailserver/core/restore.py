"""Restore this version: write a recorded change's ``before`` back, through the agent.

Only an applied change to a file has a version to go back to: a control file the MTA
page manages, or an SMTP run script. The agent (``agent.restore.file``) writes it only
if the file still holds what the change wrote, and only after judging the content as
a save of that file would; the outcome, refusals included, is a new change (action
"restore") linked to the one it undoes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from mailserver.protocol import Op
from mailserver.qmail import control

from . import agent
from .models import Change, ChangeResult
from .sections.effects import takes_effect

OPERATION = "agent.restore.file"
ACTION = "restore"
# Actions that left a file holding exactly ``after`` (or, for remove, no file).
_FILE_ACTIONS = ("write", "remove", ACTION)
_SCRIPTS = ("service qmail-smtpd/run", "service qmail-submission/run")
ONLY = (
    "Only the MTA page's control files and the SMTP run scripts (qmail-smtpd, qmail-submission) "
    "can be restored."
)


@dataclass(frozen=True)
class Restorable:
    possible: bool
    why_not: str = ""


def is_file_target(change: Change) -> bool:
    """A file's change: its page has a Restore box, which says why not where the agent restores none."""
    target = change.target
    return target.startswith("control/") or (target.startswith("service ") and target.endswith("/run"))


def restorable(change: Change) -> Restorable:
    """Whether the page offers "Restore this version" (the agent still judges the file itself)."""
    if not is_file_target(change) or change.action not in _FILE_ACTIONS:
        return Restorable(False, ONLY)
    if change.target.startswith("service ") and change.target not in _SCRIPTS:
        return Restorable(False, ONLY)
    name = change.target.removeprefix("control/")
    if change.target.startswith("control/") and name not in control.SPECS:
        # control/simcontrol (SMTP-level scanning) and the like: the agent restores only the MTA's files.
        return Restorable(False, f"{ONLY} Change control/{name} on the page that wrote it.")
    if change.result != ChangeResult.APPLIED:
        return Restorable(False, "This change was not applied, so there is no earlier version to go back to.")
    if not change.before:  # there was no file before: restoring would remove it
        if change.target in _SCRIPTS:
            return Restorable(False, "This change created the service; the panel does not remove services.")
        spec = control.SPECS.get(change.target.removeprefix("control/"))
        if spec is not None and not spec.removable:
            return Restorable(False, f"There was no file before, and {spec.label} cannot be removed.")
    return Restorable(True)


@dataclass(frozen=True)
class FileNow:
    """Whether the file on the node still holds what the change wrote: "same", "changed" or "unknown"."""

    state: str
    why: str = ""


CHECK_TIMEOUT = 5.0  # seconds: the change's page waits this long at most for the agent's reading


def file_now(change: Change) -> FileNow:
    """Ask the change's node what the file holds now, as the agent's restore will judge it.

    A later save shows in the change log; an edit by hand or by another program only on the
    server, so the page asks before offering a restore the agent would refuse.
    """
    try:
        state = agent.call(Op.MTA_READ_STATE, {}, node=change.node, timeout=CHECK_TIMEOUT)
    except agent.AgentError as exc:
        return FileNow("unknown", exc.message)
    if change.target.startswith("control/"):
        entry = state.get("controls", {}).get(change.target.removeprefix("control/"))
    else:
        entry = state.get("scripts", {}).get(change.target.removeprefix("service ").removesuffix("/run"))
    if not entry or entry.get("problem"):
        return FileNow("unknown", (entry or {}).get("problem") or "the agent does not report this file")
    wrote = None if _is_absent_after(change) else hashlib.sha256(change.after.encode()).hexdigest()
    holds = entry.get("sha256") if entry.get("exists") else None
    return FileNow("same" if holds == wrote else "changed")


def _is_absent_after(change: Change) -> bool:
    # The panel never writes an empty control file for an empty value: it removes the file.
    return change.action == "remove" or (change.action == ACTION and change.after == "")


def payload(change: Change) -> dict[str, Any]:
    """What the agent needs: the version to write back and the version the file must hold now."""
    expect = None if _is_absent_after(change) else hashlib.sha256(change.after.encode()).hexdigest()
    return {"target": change.target, "content": change.before or None, "expect": expect}


def restore(user: Any, original: Change) -> Change:
    """Ask the change's own node to write its ``before`` back; record and return the outcome."""
    fields = {
        "user": user if getattr(user, "pk", None) else None,
        "username": getattr(user, "username", "") or "system",
        "node": original.node,
        "target": original.target,
        "action": ACTION,
        "restored_from": original,
    }
    try:
        data = agent.call(OPERATION, payload(original), node=original.node)
    except agent.AgentError as exc:
        # What was asked: the change's after was to become its before again.
        return Change.objects.create(
            **fields, before=original.after, after=original.before, result=exc.result, message=exc.message
        )
    done = data.get("changes") or []
    if not done:
        return Change.objects.create(
            **fields,
            before=original.before,
            after=original.before,
            result=ChangeResult.APPLIED,
            message="The file already held this version; nothing was written.",
        )
    after = done[0].get("after") or ""
    wrote = f"Restored the version from before change {original.pk}"
    if not after:
        wrote += ": there was no file then, so it is removed"
    return Change.objects.create(
        **fields,
        before=done[0].get("before") or "",
        after=after,
        result=ChangeResult.APPLIED,
        # Like a save's notice: a restored control file is no more in effect at once than a saved one.
        message=f"{wrote}; {takes_effect(original.target)}.",
    )
