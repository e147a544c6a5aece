"""Tell the admin when a saved change takes effect (facts file, "When changes take effect")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mailserver.qmail import control

from .sections import Section

_WHEN = {
    control.TakesEffect.IMMEDIATE: "applies to the next SMTP connection or delivery",
    control.TakesEffect.SEND_RESTART: "takes effect when qmail-send restarts",
    control.TakesEffect.SEND_HUP: "takes effect when qmail-send rereads it (svc -h)",
    control.TakesEffect.SMTPD_RESTART: "takes effect when the SMTP services restart",
}


def describe_effects(
    section: Section, changes: list[dict[str, Any]], state: dict[str, Any], reset: Sequence[str] = ()
) -> str:
    if not changes:
        return "Saved; nothing needed changing on the server."
    if reset:
        # Values the replaced script had that the panel could not keep (e.g. softlimit below its floor).
        reset_text = f" Set to the template's defaults, as the old values were not valid: {', '.join(reset)}."
    else:
        reset_text = ""
    parts = []
    for change in changes:
        target = change["target"]
        name = target.removeprefix("control/")
        spec = control.SPECS.get(name)
        if spec:
            parts.append(f"{target} {_WHEN[spec.takes_effect]}")
        elif target.endswith("/run"):
            parts.append(f"{target.removeprefix('service ')} takes effect when that service restarts")
        else:
            parts.append(f"{target} written")
    pending = state.get("pending_restarts") or {}
    text = "Saved: " + "; ".join(parts) + "."
    if pending:
        text += " Restart needed: " + ", ".join(sorted(pending)) + "."
    return text + reset_text
