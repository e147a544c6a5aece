"""The base of the Spam Filtering page's boxes: a file the box edits, and the values it showed.

Each box of this page edits one file (local.cf, control/simcontrol, the training settings) and
sends the sha256 the admin saw with only the fields the admin changed, so a file changed on the
server meanwhile is refused rather than overwritten. What the admin saw is the hidden ``seen``
field, ``{"sha256": …, "values": {field: value}}`` (the shape ``seen.run_script`` checks).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from django.http import QueryDict

from mailserver.core.sections import SectionForm
from mailserver.core.sections import seen as seen_field
from mailserver.protocol.errors import ErrorKind
from mailserver.qmail.errors import FieldError


def lines_of(text: str) -> str:
    """A one-entry-per-line textarea as the server lists it: no blank lines, no blanks around entries."""
    return "\n".join(line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip())


def block_of(text: str) -> str:
    """A textarea of raw lines (advanced preferences), as the library keeps it."""
    return (
        "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip("\n").split("\n"))
        if text
        else ""
    )


class FileValuesForm(SectionForm):
    """A box of fields kept in one file: what the admin changed is sent, with the file's sha256."""

    names: ClassVar[tuple[str, ...]] = ()  # the box's fields, in order (the form's names)
    textareas: ClassVar[Mapping[str, str]] = {}  # field -> "lines" (one entry per line) or "block"

    def __init__(self, *args: Any, state: Mapping[str, Any] | None, **kwargs: Any):
        if state:
            initial = self.values_from(state)
            initial["seen"] = json.dumps({"sha256": self.sha_from(state), "values": initial})
            kwargs.setdefault("initial", {}).update(initial)
        super().__init__(*args, state=state, **kwargs)
        self.add_fields()
        if state and not self.hand_edited(state):
            del self.fields["replace_hand_edits"]
        self.order_fields(["seen", *self.names, "replace_hand_edits"])

    # --- what each box says about its file ------------------------------------------------------

    def add_fields(self) -> None:
        raise NotImplementedError

    def values_from(self, state: Mapping[str, Any]) -> dict[str, Any]:
        """The fields' values as the server holds them."""
        raise NotImplementedError

    def sha_from(self, state: Mapping[str, Any]) -> str | None:
        raise NotImplementedError

    def hand_edited(self, state: Mapping[str, Any]) -> bool:
        return False

    # --- what the admin changed -----------------------------------------------------------------

    def parse_seen(self, raw: str) -> dict[str, Any]:
        data = seen_field.run_script(raw)
        if not set(data.get("values", {})) <= set(self.names):
            raise seen_field.Malformed("not this box's fields")
        return data

    def normalised(self, name: str, value: Any) -> Any:
        kind = self.textareas.get(name)
        if kind == "lines" and isinstance(value, str):
            return lines_of(value)
        if kind == "block" and isinstance(value, str):
            return block_of(value)
        return value.strip() if isinstance(value, str) else value

    def changed(self) -> list[str]:
        """The fields whose value differs from what the page showed (all of them if it showed none)."""
        saw = self.seen_data().get("values")
        if not saw:
            return [name for name in self.names if name in self.cleaned_data]
        return [
            name
            for name in self.names
            if name in self.cleaned_data
            and self.normalised(name, self.cleaned_data[name]) != self.normalised(name, saw.get(name))
        ]

    def expect(self) -> str | None:
        return self.seen_data().get("sha256")

    def check(self, name: str, value: Any) -> Any:
        """A changed field's value as it is sent; raises FieldError where the agent would refuse it."""
        return value

    def clean(self) -> dict[str, Any]:
        """Only the changed fields, normalised and checked, go into ``values`` (by the payload's names)."""
        cleaned = super().clean() or {}
        self.values: dict[str, Any] = {}
        if self.errors:
            return cleaned
        payload_names = {form_name: name for name, form_name in self.payload_fields.items()}
        for name in self.changed():
            try:
                value = self.check(name, self.normalised(name, cleaned[name]))
            except FieldError as exc:
                self.add_field_error(exc.field if exc.field in self.fields else name, str(exc))
                continue
            self.values[payload_names.get(name, name)] = value
        return cleaned

    # --- what the flow asks of every box ---------------------------------------------------------

    def fresh_seen(self, raw_posted: str, state: Mapping[str, Any]) -> str:
        return str(type(self)(state=state, prefix=self.prefix).initial["seen"])  # one file: the server's

    def _seen_posted(self, raw_posted: str) -> dict[str, Any]:
        try:  # reached only after the form accepted it, but never trusted to be well formed
            return self.parse_seen(raw_posted)
        except seen_field.Malformed:
            return {}

    def explain_refusal(self, kind: ErrorKind, state: Mapping[str, Any], raw_posted: str) -> dict[str, Any]:
        """After a conflict: beside each field the server changed meanwhile, what it holds now."""
        if kind != ErrorKind.CONFLICT:
            return {}
        saw = self._seen_posted(raw_posted).get("values") or {}
        now = self.values_from(state)
        for name in self.names:
            if name not in saw or self.normalised(name, saw[name]) == self.normalised(name, now[name]):
                continue
            shown = now[name] if now[name] not in ("", None) else "(nothing)"
            if self._untouched(name, saw[name]) and isinstance(self.data, QueryDict) and self.data._mutable:
                # Not the admin's edit: the field shows what the server holds now, so that saving
                # again keeps it instead of writing the value the page had read back over it.
                self._show(name, now[name])
                self.add_error(name, f"Changed on the server while you edited; it now holds: {shown}. "
                               "The field shows it now: saving again keeps it.")  # fmt: skip
            else:
                self.add_error(name, seen_field.changed_meanwhile(shown))
        return {}

    def _untouched(self, name: str, saw: Any) -> bool:
        cleaned = getattr(self, "cleaned_data", {})
        return name in cleaned and self.normalised(name, cleaned[name]) == self.normalised(name, saw)

    def _show(self, name: str, value: Any) -> None:
        """``value`` in the bound field, as the browser would post it (a checkbox: present when on)."""
        data, key = self.data, self.add_prefix(name)
        assert isinstance(data, QueryDict)  # the caller checked it is the flow's mutable copy
        if isinstance(value, bool):
            if value:
                data[key] = "on"
            else:
                data.pop(key, None)
        else:
            data[key] = "" if value is None else str(value)

    def changed_on_server(self, state: Mapping[str, Any]) -> bool:
        posted = self._seen_posted(self.data.get(self.add_prefix("seen"), "") or "{}")
        return bool(posted) and posted.get("sha256") != self.sha_from(state)
