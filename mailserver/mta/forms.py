"""The MTA page's forms: one per box of the guide's page, each validated by the qmail library.

A form remembers what the admin saw (``seen``: the value and sha256 of each file,
or the run script's sha256) so that only fields the admin changed are sent, and a
file changed on the server meanwhile is refused rather than overwritten.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms

from mailserver.qmail import control, doublebounce, runparams, smtpauth
from mailserver.qmail.errors import InvalidValue

from . import seen

ON_OFF = [("on", "Enabled"), ("off", "Disabled")]


def display(name: str, value: Any) -> str:
    """A control value as the form shows it."""
    if value is None:
        return ""
    if name == "badrcptto":
        value = [control.badrcptto_to_address(line) or line for line in value]
    if isinstance(value, list):
        return "\n".join(value)
    return str(value)


class SeenMixin(forms.Form):
    seen = forms.CharField(widget=forms.HiddenInput, required=False)
    replace_hand_edits = forms.BooleanField(
        required=False,
        label="Replace the hand edits shown above",
        help_text="Only needed when a file below holds something the panel would rewrite.",
    )

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
        # The field is hidden, so its error is shown above the box's fields.
        stale = self._errors.pop("seen", None) if self._errors else None
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


class ControlFilesForm(SeenMixin):
    """A box whose fields are qmail control files, validated exactly as qmail reads them."""

    controls: tuple[str, ...] = ()
    textareas: tuple[str, ...] = ()
    help: dict[str, str] = {}

    def __init__(self, *args: Any, state: dict[str, Any] | None, **kwargs: Any):
        """``state`` is the agent's read of the server; None when validating a save, which then
        needs only what the admin saw (``seen``): the agent re-checks everything on write."""
        self.state = state
        files = state["controls"] if state else {}
        if state:
            initial = {name: display(name, files[name]["value"]) for name in self.controls}
            saw: dict[str, Any] = {
                name: {"value": initial[name], "sha256": files[name]["sha256"]} for name in self.controls
            }
            saw["_meta"] = self.meta_from(state)
            initial["seen"] = json.dumps(saw)
            kwargs.setdefault("initial", {}).update(initial)
        super().__init__(*args, **kwargs)
        for name in self.controls:
            spec = control.SPECS[name]
            widget = forms.Textarea(attrs={"rows": 4}) if name in self.textareas else forms.TextInput
            self.fields[name] = forms.CharField(
                label=spec.label,
                required=False,
                widget=widget,
                help_text=self._help(name, files[name]) if state else "",
                strip=name not in self.textareas,
            )
        self.order_fields(["seen", *self.controls, "replace_hand_edits"])
        if state and all(files[name]["canonical"] for name in self.controls):
            del self.fields["replace_hand_edits"]  # nothing on the server the panel would rewrite

    def parse_seen(self, raw: str) -> dict[str, Any]:
        return seen.control_files(raw, self.controls)

    def meta_from(self, state: dict[str, Any]) -> dict[str, Any]:
        return {"conf_spawn": state["conf_spawn"], "discarding": state["double_bounce"]["discarding"]}

    def _help(self, name: str, file: dict[str, Any]) -> str:
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
        self.values: dict[str, Any] = {}
        if "seen" in self.errors:
            return cleaned  # what the admin changed cannot be told
        for name in self.changed_files():
            raw = cleaned.get(name, "")
            if isinstance(raw, str) and name in self.textareas:
                raw = raw.replace("\r\n", "\n").strip("\n")
            if raw == "":
                spec = control.SPECS[name]
                if not spec.removable:
                    self.add_error(name, f"{spec.label} cannot be left empty: {spec.when_missing}")
                self.values[name] = None
                continue
            try:
                self.values[name] = control.validate(name, raw)
            except InvalidValue as exc:
                self.add_error(name, str(exc))
        # Without the state (a save being validated) the agent makes this same check on write.
        controls = self.state["controls"] if self.state else {}
        hand_edited = [n for n in self.values if n in controls and not controls[n]["canonical"]]
        if hand_edited and not cleaned.get("replace_hand_edits"):
            self.add_error(
                "replace_hand_edits",
                "These files were edited by hand on the server: "
                f"{', '.join('control/' + n for n in hand_edited)}. Tick the box to replace them.",
            )
        return cleaned

    def payload(self) -> dict[str, Any]:
        saw = self.seen_data()
        files = {
            name: {"value": value, "expect": (saw.get(name) or {}).get("sha256")}
            for name, value in self.values.items()
        }
        return {"files": files, "replace_hand_edits": bool(self.cleaned_data.get("replace_hand_edits"))}


class ServerOptionsForm(ControlFilesForm):
    controls = ("me", "defaultdomain", "bouncefrom", "bouncehost", "doublebounceto", "doublebouncehost")
    help = {
        "me": "The name this server gives other MTAs; it should match the reverse DNS of its IP.",
        "defaultdomain": 'Appended to addresses without a domain ("fred" becomes fred@this domain).',
        "bouncefrom": "The user part of the sender of bounce messages.",
        "bouncehost": "The domain part of the sender of bounce messages.",
        "doublebounceto": "The local user who receives double bounces.",
    }

    def __init__(self, *args: Any, state: dict[str, Any] | None, **kwargs: Any):
        discarding = bool(state and state["double_bounce"]["discarding"])
        kwargs.setdefault("initial", {})["double_bounce"] = "off" if discarding else "on"
        super().__init__(*args, state=state, **kwargs)
        self.fields["double_bounce"] = forms.ChoiceField(
            label="Double Bounce Messages",
            choices=ON_OFF,
            widget=forms.RadioSelect,
            help_text="When disabled, double bounces go to the alias "
            f"{doublebounce.DISCARD_ALIAS}, whose .qmail file discards them (stock qmail has no switch).",
        )
        if discarding:
            self.initial["doublebounceto"] = ""
            saw = json.loads(self.initial["seen"])
            saw["doublebounceto"]["value"] = ""
            self.initial["seen"] = json.dumps(saw)
        self.order_fields(
            [
                "seen",
                "me",
                "defaultdomain",
                "bouncefrom",
                "bouncehost",
                "double_bounce",
                "doublebounceto",
                "doublebouncehost",
                "replace_hand_edits",
            ]
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.discard = cleaned.get("double_bounce") == "off"
        was_discarding = self.meta("discarding", False)
        if self.discard and not was_discarding:
            self.values["doublebounceto"] = doublebounce.DISCARD_ALIAS
        elif not self.discard and was_discarding and "doublebounceto" not in self.values:
            self.values["doublebounceto"] = None  # back to qmail's default, postmaster
        return cleaned

    def payload(self) -> dict[str, Any]:
        data = super().payload()
        if self.discard and not self.meta("discarding", False):
            data["double_bounce_discard"] = True
        return data


class InboundForm(ControlFilesForm):
    controls = ("smtpgreeting", "concurrencyincoming", "timeoutsmtpd", "databytes")
    help = {
        "smtpgreeting": 'Sent as "220 <greeting> ESMTP"; its first word should be this server\'s name.',
        "concurrencyincoming": "tcpserver -c for each SMTP server: with the alternate server on, "
        "the total doubles. Takes effect when the SMTP services restart.",
        "timeoutsmtpd": "Seconds qmail-smtpd waits for each read from the client.",
        "databytes": "Largest message accepted, in bytes; 0 means no limit.",
    }


class BlacklistForm(ControlFilesForm):
    controls = ("badmailfrom", "badrcptto")
    textareas = controls
    help = {
        "badmailfrom": "Inbound: one sender per line, user@domain or @domain (that domain only, not its "
        "subdomains). qmail-smtpd refuses them at RCPT with 553. With the qregex patch (needed for the "
        "outbound list) qmail reads these lines as unanchored regular expressions, so they also match "
        "longer addresses that contain them.",
        "badrcptto": "Outbound: one recipient per line, user@domain or @domain, written as the anchored "
        "regular expressions of the qregex patch's control/badrcptto (stock qmail ignores this "
        "file). It applies to mail submitted over SMTP, not to local qmail-inject.",
    }


class OutboundForm(ControlFilesForm):
    controls = ("concurrencyremote", "timeoutremote", "timeoutconnect", "queuelifetime")
    help = {
        "concurrencyremote": "Simultaneous qmail-remote deliveries (concurrency remote).",
        "timeoutremote": "Seconds qmail-remote waits for each reply of the remote server.",
        "timeoutconnect": "Seconds qmail-remote waits for a connection to be set up.",
        "queuelifetime": "Seconds a message may stay in the queue before it bounces (604800 = one week).",
    }

    def __init__(self, *args: Any, state: dict[str, Any] | None, **kwargs: Any):
        super().__init__(*args, state=state, **kwargs)
        if state:
            limit = state["conf_spawn"]
            self.fields["concurrencyremote"].help_text += f" At most {limit} here (qmail's conf-spawn)."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        name = "concurrencyremote"
        if name in self.values and self.values[name] is not None and name not in self.errors:
            try:
                conf_spawn = self.meta("conf_spawn", control.CONF_SPAWN)
                control.validate(name, self.values[name], conf_spawn=conf_spawn)
            except InvalidValue as exc:
                self.add_error(name, str(exc))
        return cleaned


class RoutesForm(ControlFilesForm):
    controls = ("smtproutes",)
    textareas = controls
    help = {
        "smtproutes": 'One route per line: domain:relay[:port]. ".domain" matches its subdomains, an '
        "empty domain matches everything else, an empty relay means normal MX lookup."
    }


class RouteTestForm(forms.Form):
    address = forms.CharField(
        label="Recipient address",
        max_length=320,
        widget=forms.TextInput(attrs={"placeholder": "user@example.com"}),
    )

    def clean_address(self) -> str:
        address = self.cleaned_data["address"].strip()
        if "@" not in address or address.endswith("@"):
            raise forms.ValidationError("Enter a full address, user@domain.")
        return address


class RunScriptForm(SeenMixin):
    """A box whose settings live in an SMTP service's run script."""

    service = "qmail-smtpd"

    def __init__(self, *args: Any, state: dict[str, Any] | None, **kwargs: Any):
        """With ``state`` None (validating a save) the agent checks hand edits and ports itself."""
        self.state = state
        self.script = state["scripts"][self.service] if state else None
        if self.script is not None:
            params = self.script["params"] or self.defaults()
            initial = self.initial_from(params)
            initial["seen"] = json.dumps({"sha256": self.script["sha256"], "values": initial})
            kwargs.setdefault("initial", {}).update(initial)
        super().__init__(*args, **kwargs)
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
        return {
            "port": 25,
            "auth_mode": str(smtpauth.DEFAULT_AUTH_MODE),
            "rbl_zones": [],
            "require_auth": False,
            "force_tls": False,
        }

    def initial_from(self, params: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        raise NotImplementedError

    def payload(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "params": self.params(),
            "expect": self.seen_data().get("sha256"),
            "replace_hand_edit": bool(self.cleaned_data.get("replace_hand_edits")),
        }


class PrimarySmtpForm(RunScriptForm):
    # A CharField, not a ChoiceField: a posted "auth_required/…" (from the API or an old form)
    # must get the guide's reason from the library, not "select a valid choice".
    auth_mode = forms.CharField(
        label="Authentication Mode",
        widget=forms.Select(choices=smtpauth.AUTH_MODE_CHOICES),
        help_text="SMTP-AUTH can be optional on port 25 but never required: "
        "other mail servers could no longer deliver to you.",
    )

    def initial_from(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"auth_mode": params["auth_mode"]}

    def clean_auth_mode(self) -> str:
        try:
            return str(smtpauth.parse_auth_mode(self.cleaned_data["auth_mode"]))
        except InvalidValue as exc:
            raise forms.ValidationError(str(exc)) from None

    def params(self) -> dict[str, Any]:
        return {"auth_mode": self.cleaned_data["auth_mode"]}


class AlternateSmtpForm(RunScriptForm):
    service = "qmail-submission"
    port = forms.IntegerField(
        label="Port",
        min_value=1,
        max_value=65535,
        help_text="587 by default; another port helps where ISPs block 587.",
    )
    force_tls = forms.BooleanField(label="TLS required", required=False)
    require_auth = forms.BooleanField(
        label="SMTP-AUTH enforced",
        required=False,
        help_text="This server is for your own users, not other MTAs.",
    )

    def defaults(self) -> dict[str, Any]:
        return {
            **super().defaults(),
            "port": runparams.SUBMISSION_PORT,
            "require_auth": True,
            "force_tls": True,
        }

    def initial_from(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "port": params["port"],
            "force_tls": params["force_tls"],
            "require_auth": params["require_auth"],
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        port = cleaned.get("port")
        if port is not None:
            try:
                smtpauth.check_auth_policy(
                    port,
                    smtpauth.DEFAULT_AUTH_MODE,
                    require_auth=bool(cleaned.get("require_auth")),
                    force_tls=bool(cleaned.get("force_tls")),
                )
            except InvalidValue as exc:
                self.add_error("port", str(exc))
            primary = (
                (self.state["scripts"]["qmail-smtpd"]["params"] or {}).get("port", 25) if self.state else 25
            )
            if port == primary:
                self.add_error("port", f"Port {port} is the primary SMTP server's port.")
        return cleaned

    def params(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("port", "force_tls", "require_auth")}


class RblForm(RunScriptForm):
    zones = forms.CharField(
        label="Realtime blacklists (RBL zones)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One DNS zone per line, e.g. zen.spamhaus.org. Each becomes rblsmtpd -r ZONE in the "
        "qmail-smtpd run script; every zone adds a DNS lookup to each connection.",
    )

    def initial_from(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"zones": "\n".join(params.get("rbl_zones") or [])}

    def clean_zones(self) -> list[str]:
        zones = [z.strip() for z in self.cleaned_data["zones"].splitlines() if z.strip()]
        try:
            return list(runparams.check_rbl_zones(zones))
        except InvalidValue as exc:
            raise forms.ValidationError(str(exc)) from None

    def params(self) -> dict[str, Any]:
        return {"rbl_zones": self.cleaned_data["zones"]}
