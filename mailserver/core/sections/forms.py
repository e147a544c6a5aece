"""The form of one box (section): what the generic flow asks of it, whatever the box writes.

A box remembers what the admin saw (``seen``: a hidden field the page writes) so that only what
the admin changed is sent, and a file changed on the server meanwhile is refused rather than
overwritten. The flow (``flow.py``) never asks which kind of box it holds: it calls the methods
below, which each kind (``ControlFilesForm``, ``RunScriptForm``) fills in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django import forms

from mailserver.protocol.errors import ErrorKind
from mailserver.protocol.records import ChangeRecord

from . import seen

# A value the admin may really mean but rarely does (10 bytes as a message size): the reason to
# show, or None when the value is ordinary. The box asks for a confirmation before saving it.
UnusualRule = Callable[[int], str | None]


class SectionForm(forms.Form):
    seen = forms.CharField(widget=forms.HiddenInput, required=False)
    replace_hand_edits = forms.BooleanField(
        required=False,
        label="Replace the hand edits shown above",
        help_text='Only needed for a field above marked "Hand edit on the server": saving rewrites '
        "that file.",
    )

    # The payload's name of a field where it differs from the form's ("rbl_zones" for "zones"):
    # an agent's refusal names the payload's field and is shown beside the form's.
    payload_fields: ClassVar[Mapping[str, str]] = {}
    # Values to confirm before saving, by form field; the rules are the page's own.
    unusual: ClassVar[Mapping[str, UnusualRule]] = {}

    def __init__(self, *args: Any, state: Mapping[str, Any] | None, **kwargs: Any):
        """``state`` is the agent's read of the server; None when validating a save, which then
        needs only what the admin saw (``seen``): the agent re-checks everything on write."""
        self.state = state
        super().__init__(*args, **kwargs)
        if self.is_bound and self.unusual:
            # Hidden until a save meets an unusual value; then a checkbox beside the Save button.
            self.fields["confirm_unusual"] = forms.BooleanField(
                required=False,
                widget=forms.HiddenInput,
                label="Save the unusual values above anyway",
                help_text="Tick this if you meant them, then save again.",
            )

    # --- what the admin saw ------------------------------------------------------------------

    def parse_seen(self, raw: str) -> dict[str, Any]:
        """The posted ``seen`` checked against what this box writes; raises seen.Malformed."""
        raise NotImplementedError

    def clean_seen(self) -> dict[str, Any]:
        raw = self.cleaned_data.get("seen") or ""
        if not raw:
            return {}  # nothing seen: the agent then expects each file not to exist
        try:
            return self.parse_seen(raw)
        except seen.Malformed:
            raise forms.ValidationError(seen.STALE, code="stale") from None

    def full_clean(self) -> None:
        super().full_clean()
        # The field is hidden, so its error is shown above the box's fields. full_clean has just
        # filled the errors, so reading them here does not clean the form a second time.
        stale = self.errors.pop("seen", None)
        if stale:
            self.add_error(None, forms.ValidationError(seen.STALE, code="stale"))

    def seen_data(self) -> dict[str, Any]:
        """What the admin saw: the posted field once validated, else what this form offers."""
        cleaned = getattr(self, "cleaned_data", {})
        if "seen" in cleaned:
            return cleaned["seen"]  # type: ignore[no-any-return]
        if self.is_bound:
            return {}  # not (yet) valid: nothing is compared against it
        return json.loads(self.initial.get("seen") or "{}")  # type: ignore[no-any-return]

    def meta(self, key: str, default: Any = None) -> Any:
        """Facts about the server the page was built from (kept in ``seen`` for the save)."""
        return (self.seen_data().get("_meta") or {}).get(key, default)

    # --- validation --------------------------------------------------------------------------

    def add_field_error(self, field: str | None, message: str) -> None:
        """``message`` beside ``field`` (a payload's or the form's name); one error per line of it,
        so a list file with three bad lines shows three errors."""
        name = self.payload_fields.get(field or "", field)
        target = name if name in self.fields else None
        for line in message.split("\n"):
            if line.strip():
                self.add_error(target, line)

    def confirm_unusual(self, values: Mapping[str, int]) -> None:
        """Ask for a confirmation of every unusual value among ``values`` (by form field)."""
        reasons = {
            name: why
            for name, value in values.items()
            if name in self.unusual and (why := self.unusual[name](value))
        }
        if not reasons or self.cleaned_data.get("confirm_unusual"):
            return
        for name, why in reasons.items():
            self.add_error(name, why)
        self.fields["confirm_unusual"].widget = forms.CheckboxInput()

    def error_count(self) -> int:
        return sum(len(errors) for errors in self.errors.values()) if self.is_bound else 0

    def error_summary(self) -> list[tuple[str | None, str, str]]:
        """Every error, the box's own first, then the fields' in their order: (the id of the field
        to link to, or None for the box's own or a hidden field's; its label; the message)."""
        if not self.is_bound:
            return []
        summary: list[tuple[str | None, str, str]] = [(None, "", str(e)) for e in self.non_field_errors()]
        for field in self:
            linked = None if field.is_hidden else field.id_for_label
            summary += [(linked, str(field.label), str(message)) for message in field.errors]
        return summary

    # --- what the flow asks of every box -----------------------------------------------------

    def payload(self) -> dict[str, Any]:
        """What the section's operation is sent; only after is_valid()."""
        raise NotImplementedError

    def intended(self) -> list[ChangeRecord]:
        """The change log's rows for this save should the agent never answer."""
        raise NotImplementedError

    def fresh_seen(self, raw_posted: str, state: Mapping[str, Any]) -> str:
        """``seen`` after a conflict or a hand edit: the admin has now been shown what the server holds."""
        raise NotImplementedError

    def explain_refusal(self, kind: ErrorKind, state: Mapping[str, Any], raw_posted: str) -> dict[str, Any]:
        """Errors beside the fields the refusal is about, and what else the box shows with it."""
        return {}

    def changed_on_server(self, state: Mapping[str, Any]) -> bool:
        """Whether the server holds something else than the admin saw, in what this box edits.

        Asked when a save changed nothing: "Nothing changed" must be true of the server, not of
        a page restored from the browser's history or edited in another tab meanwhile.
        """
        return False

    def hand_edit_field(self) -> str | None:
        return "replace_hand_edits" if "replace_hand_edits" in self.fields else None
