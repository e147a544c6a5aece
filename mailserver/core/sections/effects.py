"""Tell the admin when a saved change takes effect (facts file, "When changes take effect")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mailserver.qmail import control

NOTHING_CHANGED = "Nothing changed: the server already holds these values."

_WHEN = {
    control.TakesEffect.IMMEDIATE: "applies to the next SMTP connection or delivery",
    control.TakesEffect.SEND_RESTART: "takes effect when qmail-send restarts",
    control.TakesEffect.SEND_HUP: "takes effect when qmail-send rereads it (svc -h)",
    control.TakesEffect.SMTPD_RESTART: "takes effect when the SMTP services restart",
}


def takes_effect(target: str) -> str:
    """When a written file is in effect ("control/X takes effect when qmail-send restarts"): a save's
    notice and a restore's say it in the same words."""
    spec = control.SPECS.get(target.removeprefix("control/")) if target.startswith("control/") else None
    if spec:
        return f"{target} {_WHEN[spec.takes_effect]}"
    if target.endswith("/run"):
        return f"{target.removeprefix('service ')} takes effect when that service restarts"
    return f"{target} written"


def describe_effects(result: Mapping[str, Any], state: Mapping[str, Any]) -> str:
    """The notice after a save: what was written, when each takes effect, what else the agent did."""
    changes = result.get("changes") or []
    if not changes:
        return NOTHING_CHANGED
    text = "Saved: " + "; ".join(takes_effect(change["target"]) for change in changes) + "."
    pending = state.get("pending_restarts") or {}
    if pending:
        text += " Restart needed: " + ", ".join(sorted(pending)) + "."
    notes = result.get("notes") or []
    if notes:
        # What the agent moved from the old script elsewhere (its own "-c 20" into a control file).
        text += " Kept from the old script: " + "; ".join(notes) + "."
    reset = result.get("reset") or []
    if reset:
        # Values the replaced script had that the panel could not keep (e.g. softlimit below its floor).
        text += f" Set to the template's defaults, as the old values were not valid: {', '.join(reset)}."
    return text
