"""The MDA page's form: one box per POP3 or IMAP server, its memory limit and connections (max).

The memory limit is shown in MB (1 MB = 1,000,000 bytes, as the library's floors are stated)
and sent in bytes; each field is checked with the library's ``mda.check_field``, which the
agent applies again on write, so a refusal stands beside its field with its reason. Only the
settings the admin changed are sent, with the sha256 of every file the page was read from
(the run script, and for Courier its ``imapd`` / ``imapd-ssl``): a file changed meanwhile is
refused, never overwritten.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.http import QueryDict
from django.utils import timezone

from mailserver.core.sections import SectionForm
from mailserver.core.sections import seen as section_seen
from mailserver.protocol.errors import ErrorKind
from mailserver.protocol.records import ChangeRecord, intended
from mailserver.qmail import mda
from mailserver.qmail.errors import FieldError
from mailserver.qmail.mda_changes import EXPECTED_FILES

FIELDS = mda.FIELDS  # ("memory_limit", "connections"): the form's names are the payload's
_MEGABYTES = re.compile(r"[0-9]{1,7}(\.[0-9]{1,6})?")


def megabytes(value: int) -> str:
    """Bytes as the field shows them: MB with at most one decimal ("32", "134.2")."""
    shown = f"{value / mda.MB:.1f}"
    return shown.removesuffix(".0")


def in_use(found: Mapping[str, Any] | None) -> str:
    """The connections open now, as the server reports them ("2 of 40 in use (…)"), or ""."""
    if not found:
        return ""
    if found["limit"] is None:
        return f"{found['connections']} open (couriertcpd's children)"
    at = ""
    if found["at"] is not None:
        at = " at " + timezone.localtime(datetime.fromtimestamp(found["at"], tz=UTC)).strftime("%H:%M")
    return f"{found['connections']} of {found['limit']} in use (tcpserver's status line{at})"


def _where(value: int | None, source: str) -> str:
    """Where a value lives on the server ("/etc/courier/imapd (MAXDAEMONS)", the run script)."""
    if value is None and source not in ("run script", "not set"):
        return f"Not a number in {source} (see above): this is the panel's default."
    if value is None:
        return "Not set on the server yet: this is the panel's default."
    return f"Set in {'its run script' if source == 'run script' else source}."


def _expect(server: Mapping[str, Any]) -> dict[str, str | None]:
    """What the page was read from: each file's sha256, None for a file that is not there."""
    script = server["script"]
    files = {"run": {"exists": script["exists"], "sha256": script["sha256"]}, **server["files"]}
    # A file that exists but could not be read has no sha256: it is left unchecked, not "absent".
    return {key: f["sha256"] for key, f in files.items() if not (f["exists"] and f["sha256"] is None)}


def _parse_seen(raw: str) -> dict[str, Any]:
    """``{"expect": {file: sha256|null}, "values": {field: str}}``; raises seen.Malformed."""
    data = section_seen.loads(raw)
    if not isinstance(data, dict) or set(data) != {"expect", "values"}:
        raise section_seen.Malformed("not an MDA box's")
    expect, values = data["expect"], data["values"]
    if not isinstance(expect, dict) or not set(expect) <= set(EXPECTED_FILES):
        raise section_seen.Malformed("expect")
    if not all(
        v is None or (isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v)) for v in expect.values()
    ):
        raise section_seen.Malformed("expect")
    if not isinstance(values, dict) or set(values) != set(FIELDS):
        raise section_seen.Malformed("values")
    if not all(isinstance(v, str) and len(v) <= 20 for v in values.values()):
        raise section_seen.Malformed("values")
    return data


class MdaServerForm(SectionForm):
    """One POP3 or IMAP server's two settings; ``service`` names it (a key of ``mda.SERVERS``)."""

    service: ClassVar[str] = ""

    memory_limit = forms.CharField(max_length=20, widget=forms.NumberInput(attrs={"step": "any"}))
    connections = forms.CharField(max_length=20, widget=forms.NumberInput(attrs={"step": "1"}))

    def __init__(self, *args: Any, state: Mapping[str, Any] | None, **kwargs: Any):
        """With ``state`` None (validating a save) the values are compared with ``seen`` alone."""
        info = mda.SERVERS[self.service]
        self.server = state["servers"][self.service] if state else None
        if self.server is not None:
            server = self.server
            shown = {
                "memory_limit": megabytes(server["memory_limit"] or server["memory_default"]),
                "connections": str(server["connections"] or info.default_connections),
            }
            initial = {**shown, "seen": json.dumps({"expect": _expect(server), "values": shown})}
            kwargs.setdefault("initial", {}).update(initial)
        super().__init__(*args, state=state, **kwargs)
        self.order_fields(["seen", *FIELDS, "replace_hand_edits"])
        memory, connections = self.fields["memory_limit"], self.fields["connections"]
        memory.label = f"{info.label} Memory Limit (MB)"
        memory.widget.attrs["min"] = megabytes(info.memory_floor)
        connections.label = f"{info.label} Connections (max)"
        connections.widget.attrs.update({"min": "1", "max": str(mda.CONNECTIONS_MAX)})
        memory.help_text = (
            f"For each process of a session (softlimit -m). At least {megabytes(info.memory_floor)} MB: "
            f"{info.needs}."
        )
        connections.help_text = "Clients served at once; the next one waits until one leaves."
        if self.server is not None:
            self._describe_sources(self.server)
        script = self.server["script"] if self.server else None
        if script is not None and (not script["exists"] or (script["managed"] and not script["hand_edited"])):
            del self.fields["replace_hand_edits"]
        else:
            self.fields["replace_hand_edits"].label = "Replace the hand-edited run script"
            self.fields["replace_hand_edits"].help_text = (
                f"The run script of {self.service} was not written by this panel or was edited by hand; "
                "saving replaces it with the panel's."
            )

    def _describe_sources(self, server: Mapping[str, Any]) -> None:
        """Where each value lives, and the connections in use beside the maximum."""
        memory, connections = self.fields["memory_limit"], self.fields["connections"]
        memory.help_text += " " + _where(server["memory_limit"], server["memory_source"])
        connections.help_text += " " + _where(server["connections"], server["connections_source"])
        now = in_use(server["in_use"])
        if now:
            connections.help_text += f" Now: {now}."

    # --- validation --------------------------------------------------------------------------

    def parse_seen(self, raw: str) -> dict[str, Any]:
        return _parse_seen(raw)

    def clean_memory_limit(self) -> int:
        raw = self.cleaned_data["memory_limit"].strip().removesuffix("MB").strip()
        if not _MEGABYTES.fullmatch(raw):
            raise forms.ValidationError(
                f"The memory limit is a number of MB, like 64 or 128.5, not {raw[:20]!r}.", code="invalid"
            )
        return self._checked("memory_limit", int(Decimal(raw) * mda.MB))

    def clean_connections(self) -> int:
        return self._checked("connections", self.cleaned_data["connections"])

    def _checked(self, field: str, value: object) -> int:
        try:
            return mda.check_field(self.service, field, value)
        except FieldError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not self.seen_data():
            self.add_error(None, forms.ValidationError(section_seen.STALE, code="stale"))
        return cleaned

    def settings(self) -> dict[str, int]:
        """The settings the admin changed.

        When none changed, the connections as shown, so that the agent still answers (with "nothing
        changed", or by setting up a missing service): never the memory limit, which the page shows
        rounded to 0.1 MB and would write back a little off.
        """
        typed = {field: self.data.get(self.add_prefix(field), "").strip() for field in FIELDS}
        shown = self.seen_data()["values"]
        changed = [field for field in FIELDS if typed[field] != shown[field]]
        return {field: self.cleaned_data[field] for field in changed or ["connections"]}

    # --- what the flow asks of every box -----------------------------------------------------

    def payload(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "settings": self.settings(),
            "expect": self.seen_data()["expect"],
            "replace_hand_edit": bool(self.cleaned_data.get("replace_hand_edits")),
        }

    def intended(self) -> list[ChangeRecord]:
        return [intended(f"service {self.service}", "write", json.dumps(self.settings()))]

    def fresh_seen(self, raw_posted: str, state: Mapping[str, Any]) -> str:
        return str(type(self)(state=state, prefix=self.prefix).initial["seen"])

    def explain_refusal(self, kind: ErrorKind, state: Mapping[str, Any], raw_posted: str) -> dict[str, Any]:
        """A hand-edited script is shown to be judged; after a conflict, what each field now holds."""
        server = state["servers"][self.service]
        if kind == ErrorKind.HAND_EDIT:
            return {"script_text": server["script"]["text"]}
        if kind == ErrorKind.CONFLICT:
            now = type(self)(state=state, prefix=self.prefix).initial
            try:
                before = _parse_seen(raw_posted)["values"]
            except section_seen.Malformed:
                before = {}
            untouched = {f for f in FIELDS if self.data.get(self.add_prefix(f), "").strip() == before.get(f)}
            # Saved with no edit, the box asks for what it shows (saving again puts that back); with an
            # edit, for that edit: a setting the admin left alone must not carry a stale value back.
            edited = set(FIELDS) - untouched
            for field in FIELDS:
                if before.get(field) == now[field] or field not in self.fields:
                    continue
                key = self.add_prefix(field)
                if edited and field in untouched and isinstance(self.data, QueryDict) and self.data._mutable:
                    # Show what the server holds now, so that saving again keeps it.
                    self.data[key] = now[field]
                    self.add_error(
                        field,
                        f"Changed on the server while you edited; it now holds: {now[field]}. "
                        "The field shows it now: saving again keeps it.",
                    )
                else:
                    self.add_error(field, section_seen.changed_meanwhile(now[field]))
        return {}

    def changed_on_server(self, state: Mapping[str, Any]) -> bool:
        return _expect(state["servers"][self.service]) != self.seen_data().get("expect")


class Pop3dForm(MdaServerForm):
    service = "qmail-pop3d"


class Pop3dSslForm(MdaServerForm):
    service = "qmail-pop3d-ssl"


class ImapdForm(MdaServerForm):
    service = "courier-imapd"


class ImapdSslForm(MdaServerForm):
    service = "courier-imapd-ssl"
