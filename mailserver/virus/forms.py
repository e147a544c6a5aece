"""The Virus Filtering page's one form: SMTP-level virus scanning on or off (simscan's ``clam=yes``).

The switch is the default line of qmail's ``control/simcontrol``, which the agent rewrites
(``Op.SIMSCAN_WRITE``, the same operation as the Spam page's SMTP scanning box). What the admin
saw is the switch and the file's sha256: a simcontrol changed meanwhile is refused, not overwritten.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.http import QueryDict

from mailserver.core.sections import SectionForm
from mailserver.core.sections import seen as seen_field
from mailserver.core.sections.effects import NOTHING_CHANGED
from mailserver.protocol.errors import ErrorKind
from mailserver.protocol.records import ChangeRecord, intended

SIMCONTROL = "control/simcontrol"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def scanning_of(state: Mapping[str, Any]) -> Mapping[str, Any]:
    """The page state's SMTP scanning part (SmtpScanning)."""
    return state["smtp_scanning"]  # type: ignore[no-any-return]


def _on_off(value: bool) -> str:
    return "on" if value else "off"


class SmtpScanningForm(SectionForm):
    clam = forms.BooleanField(
        label="SMTP-Level Virus Scanning",
        required=False,
        help_text=(
            "simscan asks clamd about every message while the sender is still connected and refuses "
            "a message with a virus. The guide recommends it."
        ),
    )

    def __init__(self, *args: Any, state: Mapping[str, Any] | None, **kwargs: Any):
        if state is not None:
            scanning = scanning_of(state)
            saw = {"clam": scanning["clam"], "simcontrol": scanning["simcontrol"]["sha256"]}
            kwargs.setdefault("initial", {}).update({"clam": scanning["clam"], "seen": json.dumps(saw)})
        super().__init__(*args, state=state, **kwargs)
        del self.fields["replace_hand_edits"]  # the agent rewrites the default line and keeps the others

    def parse_seen(self, raw: str) -> dict[str, Any]:
        data = seen_field.loads(raw)
        if not (
            isinstance(data, dict)
            and set(data) == {"clam", "simcontrol"}
            and isinstance(data["clam"], bool)
            and (data["simcontrol"] is None or _SHA256.fullmatch(str(data["simcontrol"])) is not None)
        ):
            raise seen_field.Malformed("not the SMTP scanning box's")
        return data

    def payload(self) -> dict[str, Any]:
        # The switch is always sent, with the simcontrol the admin saw: the agent writes it only when
        # simscan does not do it already (no simcontrol: simscan's defaults, scanning off), so a save
        # left as it was writes nothing, and one the server has turned around meanwhile is refused.
        clam = bool(self.cleaned_data.get("clam"))
        return {"clam": clam, "expect": {"simcontrol": self.seen_data().get("simcontrol")}}

    def intended(self) -> list[ChangeRecord]:
        return [intended(SIMCONTROL, "write", json.dumps({"clam": bool(self.cleaned_data.get("clam"))}))]

    def fresh_seen(self, raw_posted: str, state: Mapping[str, Any]) -> str:
        return str(type(self)(state=state, prefix=self.prefix).initial["seen"])

    def explain_refusal(self, kind: ErrorKind, state: Mapping[str, Any], raw_posted: str) -> dict[str, Any]:
        if kind == ErrorKind.CONFLICT:
            now, wanted = scanning_of(state)["clam"], bool(self.cleaned_data.get("clam"))
            try:
                untouched = self.parse_seen(raw_posted)["clam"] == wanted
            except seen_field.Malformed:
                untouched = False
            if now != wanted and untouched and isinstance(self.data, QueryDict) and self.data._mutable:
                # The admin saved without turning the switch: it shows the server's, so that saving
                # again keeps it instead of turning back what was changed on the server.
                if now:
                    self.data[self.add_prefix("clam")] = "on"
                else:
                    self.data.pop(self.add_prefix("clam"), None)
                then = "The box shows it now: saving again keeps it."
            elif now != wanted:
                then = f"Save again to turn it {_on_off(wanted)}."
            else:
                then = "That is what you asked for; the box now shows the file as it is."
            self.add_error(
                "clam",
                "control/simcontrol changed on the server while you looked; SMTP-level virus scanning is "
                f"now {_on_off(now)} there. {then}",
            )
        return {}

    def changed_on_server(self, state: Mapping[str, Any]) -> bool:
        raw = self.data.get(self.add_prefix("seen"), "") or "{}"
        try:
            saw = self.parse_seen(raw)
        except seen_field.Malformed:
            return True
        return bool(saw["simcontrol"] != scanning_of(state)["simcontrol"]["sha256"])


def describe(result: Mapping[str, Any], state: Mapping[str, Any]) -> str:
    """The notice after a save: what simcontrol now says, and what else the agent did (tcp.smtp.cdb or
    simcontrol.cdb rebuilt). Its notes on the state (simscan missing) are in the box already."""
    changes = result.get("changes") or []
    if not changes:
        return NOTHING_CHANGED
    scanning = scanning_of(state)
    targets = [change["target"] for change in changes]
    if SIMCONTROL in targets:
        text = f"Saved: control/simcontrol now turns SMTP-level virus scanning {_on_off(scanning['clam'])}."
    else:  # the switch as it was, handed to simscan by the allow rules that missed it
        text = "Saved: " + ", ".join(target.removeprefix("tcprules ") for target in targets) + "."
    notes = [note for note in result.get("notes") or [] if note not in scanning["notes"]]
    return " ".join([text, *notes])
