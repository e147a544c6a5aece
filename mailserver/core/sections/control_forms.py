"""A box whose fields are qmail control files, validated exactly as qmail reads them.

The page's state lists each file (``controls[NAME]``: value, sha256, whether the panel would
write it back unchanged); a save sends only the files the admin changed, each with the sha256
the admin saw, to an operation taking ``{"files": {NAME: {"value", "expect"}}}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django import forms
from django.http import QueryDict

from mailserver.protocol.errors import ErrorKind
from mailserver.protocol.records import ChangeRecord, intended
from mailserver.qmail import control
from mailserver.qmail.control_changes import HostContext, file_change
from mailserver.qmail.errors import FieldError

from . import seen, units
from .forms import SectionForm


def value_of(name: str, data: bytes) -> control.Value:
    """The value whose file is ``data`` (the inverse of control.render)."""
    text = data.decode()
    kind = control.SPECS[name].kind
    if kind == "number":
        return int(text)
    if kind == "line":
        return text.removesuffix("\n")
    return text.splitlines()


# Beside a field the admin left alone whose file changed meanwhile (as on the Spam page).
_KEPT = (
    "Changed on the server while you edited; it now holds: {}. The field shows it now: saving again keeps it."
)


class ControlFilesForm(SectionForm):
    controls: ClassVar[tuple[str, ...]] = ()
    textareas: ClassVar[tuple[str, ...]] = ()
    help: ClassVar[Mapping[str, str]] = {}
    # Facts about the server kept in ``seen`` (``_meta``), and how each must look when posted back.
    meta_checks: ClassVar[Mapping[str, Callable[[Any], bool]]] = {"conf_spawn": seen.positive_int}

    def __init__(self, *args: Any, state: Mapping[str, Any] | None, **kwargs: Any):
        files = state["controls"] if state else {}
        if state:
            initial: dict[str, Any] = {
                name: self.display(name, files[name]["value"]) for name in self.controls
            }
            saw: dict[str, Any] = {
                name: {"value": initial[name], "sha256": files[name]["sha256"]} for name in self.controls
            }
            saw["_meta"] = self.meta_from(state)
            initial["seen"] = json.dumps(saw)
            kwargs.setdefault("initial", {}).update(initial)
        super().__init__(*args, state=state, **kwargs)
        for name in self.controls:
            self.fields[name] = self.field_for(name, files.get(name))
        self.order_fields(["seen", *self.controls, "replace_hand_edits"])
        if state and all(files[name]["canonical"] for name in self.controls):
            del self.fields["replace_hand_edits"]  # nothing on the server the panel would rewrite

    def display(self, name: str, value: Any) -> str:
        """A control value as the field shows it."""
        if value is None:
            return ""
        if isinstance(value, list):
            return "\n".join(value)
        return str(value)

    def meta_from(self, state: Mapping[str, Any]) -> dict[str, Any]:
        return {"conf_spawn": state["conf_spawn"]}

    def parse_seen(self, raw: str) -> dict[str, Any]:
        return seen.control_files(raw, self.controls, self.meta_checks)

    def host_context(self) -> HostContext:
        """What the library's rules need to know about the host: from the state, or from ``seen``."""
        conf_spawn = self.state["conf_spawn"] if self.state else self.meta("conf_spawn", control.CONF_SPAWN)
        return HostContext(conf_spawn=conf_spawn)

    def check_file(self, name: str, raw: object, context: HostContext) -> bytes | None:
        """The one rule for a field's value: the library's, which the agent applies again on write.

        The bytes to write, None to remove the file (qmail's default), or FieldError. A page whose
        files follow other rules (another library function) overrides this.
        """
        return file_change(name, raw, context)

    def field_for(self, name: str, file: Mapping[str, Any] | None) -> forms.Field:
        spec = control.SPECS[name]
        help_text = self._help(name, file) if file is not None else ""
        quantity = units.BY_UNIT.get(spec.number.unit) if spec.number else None
        if quantity is not None:
            return units.QuantityField(quantity, label=spec.label, required=False, help_text=help_text)
        textarea = name in self.textareas
        return forms.CharField(
            label=spec.label,
            required=False,
            widget=forms.Textarea(attrs={"rows": 4}) if textarea else forms.TextInput,
            help_text=help_text,
            strip=not textarea,
        )

    def _help(self, name: str, file: Mapping[str, Any]) -> str:
        spec = control.SPECS[name]
        parts = [self.help.get(name, "")]
        if not file["exists"]:
            default = file["default"]
            parts.append(
                f"Not set: qmail uses {'the value of me' if default == 'me' else repr(default)}."
                if default not in (None, [], ())
                else "Not set."
            )
        if not file["canonical"]:
            parts.append(f"Hand edit on the server: {file['note']}")
        parts.append(f"control/{name}; read by {', '.join(spec.readers)}.")
        return " ".join(p for p in parts if p)

    def changed_files(self) -> list[str]:
        saw = self.seen_data()
        return [
            name
            for name in self.controls
            if self.cleaned_data.get(name, "") != (saw.get(name) or {}).get("value", "")
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.values: dict[str, control.Value | None] = {}
        if "seen" in self.errors:
            return cleaned  # what the admin changed cannot be told
        context = self.host_context()
        for name in self.changed_files():
            raw = cleaned.get(name, "")
            if isinstance(raw, str) and name in self.textareas:
                raw = raw.replace("\r\n", "\n").strip("\n")
            try:
                data = self.check_file(name, raw, context)
            except FieldError as exc:
                self.add_field_error(name, str(exc))
                continue
            self.values[name] = None if data is None else value_of(name, data)
        # Without the state (a save being validated) the agent makes this same check on write.
        controls = self.state["controls"] if self.state else {}
        hand_edited = [n for n in self.values if n in controls and not controls[n]["canonical"]]
        if hand_edited and not cleaned.get("replace_hand_edits"):
            self.add_error(
                "replace_hand_edits",
                "These files were edited by hand on the server: "
                f"{', '.join('control/' + n for n in hand_edited)}. Tick the box to replace them.",
            )
        self.confirm_unusual({name: v for name, v in self.values.items() if isinstance(v, int)})
        return cleaned

    def payload(self) -> dict[str, Any]:
        saw = self.seen_data()
        files = {
            name: {"value": value, "expect": (saw.get(name) or {}).get("sha256")}
            for name, value in self.values.items()
        }
        return {"files": files, "replace_hand_edits": bool(self.cleaned_data.get("replace_hand_edits"))}

    def intended(self) -> list[ChangeRecord]:
        return [
            intended(f"control/{name}", "write", json.dumps(item["value"]))
            for name, item in self.payload()["files"].items()
        ]

    def fresh_seen(self, raw_posted: str, state: Mapping[str, Any]) -> str:
        """Keep the admin's view of files that did not change; take the server's for the ones that did."""
        fresh = type(self)(state=state, prefix=self.prefix).initial["seen"]
        after = json.loads(fresh)
        try:
            before = seen.control_files(raw_posted, self.controls, self.meta_checks)
        except seen.Malformed:
            return str(fresh)
        for name, item in after.items():
            # A file the admin's page did not list (a seen of "{}") takes the server's view.
            if name != "_meta" and name in before and before[name]["sha256"] == item["sha256"]:
                after[name] = before[name]
        return json.dumps(after)

    def _seen_posted(self, raw_posted: str) -> dict[str, Any]:
        try:  # reached only after the form accepted it, but never trusted to be well formed
            return seen.control_files(raw_posted, self.controls, self.meta_checks)
        except seen.Malformed:
            return {}

    def _changed(self, state: Mapping[str, Any], raw_posted: str) -> list[str]:
        saw = self._seen_posted(raw_posted)
        return [
            name
            for name in self.controls
            if (saw.get(name) or {}).get("sha256") != state["controls"][name]["sha256"]
        ]

    def explain_refusal(self, kind: ErrorKind, state: Mapping[str, Any], raw_posted: str) -> dict[str, Any]:
        """Beside each field whose file changed on the server since the page was read, what it holds now."""
        if kind != ErrorKind.CONFLICT:
            return {}
        saw = self._seen_posted(raw_posted)
        untouched = {n for n in self.controls if self._untouched(n, (saw.get(n) or {}).get("value", ""))}
        # A box saved with no edit at all asks for what it shows (saving again puts that back); one
        # with edits asks for those: its other fields must not carry stale values back to the server.
        edited = set(self.controls) - untouched
        for name in self._changed(state, raw_posted):
            if name not in self.fields:
                continue
            value = self.display(name, state["controls"][name]["value"])
            if edited and name in untouched and isinstance(self.data, QueryDict) and self.data._mutable:
                # Show what the server holds now, so that saving again keeps it (the data is the
                # flow's copy of the post, which it made to carry the fresh seen).
                self.data[self.add_prefix(name)] = value
                self.add_error(name, _KEPT.format(value or "(no file: qmail's default)"))
            else:
                self.add_error(name, seen.changed_meanwhile(value or "(no file: qmail's default)"))
        return {}

    def _untouched(self, name: str, saw: object) -> bool:
        """The admin left ``name`` as the page showed it."""
        if name not in self.cleaned_data:
            return False
        posted = self.cleaned_data[name]
        if isinstance(posted, str) and name in self.textareas:
            posted = posted.replace("\r\n", "\n").strip("\n")
        return bool(posted == saw)

    def changed_on_server(self, state: Mapping[str, Any]) -> bool:
        return bool(self._changed(state, self.data.get(self.add_prefix("seen"), "") or "{}"))
