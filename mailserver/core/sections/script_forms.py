"""A box whose settings live in a service's run script (the panel renders the script from them).

The page's state lists each script (``scripts[SERVICE]``: sha256, the settings read from it,
whether the panel wrote it and whether it was edited since); a save sends the box's settings
with the sha256 the admin saw, to an operation taking ``{"service", "params", "expect",
"replace_hand_edit"}``. What the box may set, and how, is the page's own form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from mailserver.protocol.errors import ErrorKind
from mailserver.protocol.records import ChangeRecord, intended

from . import seen
from .forms import SectionForm


class RunScriptForm(SectionForm):
    service: ClassVar[str] = ""  # the daemontools service whose ``run`` this box edits

    def __init__(self, *args: Any, state: Mapping[str, Any] | None, **kwargs: Any):
        """With ``state`` None (validating a save) the agent checks hand edits and ports itself."""
        self.script = state["scripts"][self.service] if state else None
        if self.script is not None:
            initial = self.initial_from(self.script["params"] or self.defaults())
            initial["seen"] = json.dumps({"sha256": self.script["sha256"], "values": initial})
            kwargs.setdefault("initial", {}).update(initial)
        super().__init__(*args, state=state, **kwargs)
        script = self.script
        if script is not None and (not script["exists"] or (script["managed"] and not script["hand_edited"])):
            del self.fields["replace_hand_edits"]
        else:
            self.fields["replace_hand_edits"].label = "Replace the hand-edited run script"
            self.fields[
                "replace_hand_edits"
            ].help_text = "The run script on the server was not written by this panel or was edited by hand."

    def parse_seen(self, raw: str) -> dict[str, Any]:
        return seen.run_script(raw)

    def defaults(self) -> dict[str, Any]:
        """The settings of a script the panel would write from scratch (none on the server yet)."""
        raise NotImplementedError

    def initial_from(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The box's fields from the script's settings."""
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """The settings this box sends (the payload's names), from its cleaned fields."""
        raise NotImplementedError

    def payload(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "params": self.params(),
            "expect": self.seen_data().get("sha256"),
            "replace_hand_edit": bool(self.cleaned_data.get("replace_hand_edits")),
        }

    def intended(self) -> list[ChangeRecord]:
        return [intended(f"service {self.service}/run", "write", json.dumps(self.params()))]

    def fresh_seen(self, raw_posted: str, state: Mapping[str, Any]) -> str:
        return str(type(self)(state=state, prefix=self.prefix).initial["seen"])  # one file: the server's

    def explain_refusal(self, kind: ErrorKind, state: Mapping[str, Any], raw_posted: str) -> dict[str, Any]:
        """The script as the server holds it now, for a conflict or a hand edit to be judged."""
        if kind == ErrorKind.CONFLICT:
            return {
                "script_text": state["scripts"][self.service]["text"] or "(the script as the panel wrote it)"
            }
        if kind == ErrorKind.HAND_EDIT:
            return {"script_text": state["scripts"][self.service]["text"]}
        return {}
