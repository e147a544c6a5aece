"""The MTA page's own forms: one per box of the guide's page, on the shared section forms.

The boxes of control files take the library's rules through ``ControlFilesForm``; the boxes
kept in an SMTP run script check each setting and their combination with the library's
``smtpd_changes`` (the agent applies the same on write).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms

from mailserver.core.sections import ControlFilesForm, RunScriptForm
from mailserver.core.sections import seen as section_seen
from mailserver.qmail import control, doublebounce, smtpauth, smtpd_changes
from mailserver.qmail.control_changes import HostContext
from mailserver.qmail.errors import FieldError
from mailserver.qmail.paths import Roots
from mailserver.qmail.runparams import SmtpdParams

from . import unusual

ON_OFF = [("on", "Enabled"), ("off", "Disabled")]


def display(name: str, value: Any) -> str:
    """A control value as the form shows it (badrcptto's patterns as the addresses they block)."""
    if value is None:
        return ""
    if name == "badrcptto":
        value = [control.badrcptto_to_address(line) or line for line in value]
    if isinstance(value, list):
        return "\n".join(value)
    return str(value)


class MtaControlsForm(ControlFilesForm):
    """Every control-file box of the MTA page remembers conf-spawn and whether double bounces are off."""

    meta_checks = {"conf_spawn": section_seen.positive_int, "discarding": section_seen.boolean}

    def display(self, name: str, value: Any) -> str:
        return display(name, value)

    def meta_from(self, state: Mapping[str, Any]) -> dict[str, Any]:
        return {"conf_spawn": state["conf_spawn"], "discarding": state["double_bounce"]["discarding"]}


class ServerOptionsForm(MtaControlsForm):
    controls = ("me", "defaultdomain", "bouncefrom", "bouncehost", "doublebounceto", "doublebouncehost")
    help = {
        "me": "The name this server gives other MTAs; it should match the reverse DNS of its IP.",
        # qmail-inject(8): a bare "fred" gets control/defaulthost (default: me), not this.
        "defaultdomain": 'Appended by qmail-inject to a host name without dots: "fred@mail" becomes '
        'fred@mail.example.com when this is example.com. A bare "fred" gets the host of '
        "control/defaulthost (by default me) first, and this only if that has no dots.",
        "bouncefrom": "The user part of the sender of bounce messages.",
        "bouncehost": "The domain part of the sender of bounce messages.",
        "doublebounceto": "The local user who receives double bounces.",
    }

    def __init__(self, *args: Any, state: Mapping[str, Any] | None, **kwargs: Any):
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
        typed = self.values.get("doublebounceto")
        if self.discard and typed not in (None, doublebounce.DISCARD_ALIAS):
            # Disabled, with a user typed in: one of the two is not meant. Which one won depended on
            # whether they were disabled before (the user, silently re-enabling them; or the alias).
            self.add_field_error(
                "doublebounceto",
                f'Double bounces are disabled, so nobody receives them: choose "Enabled" to send them to '
                f"{typed}, or clear this field.",
            )
            return cleaned
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


class InboundForm(MtaControlsForm):
    controls = ("smtpgreeting", "concurrencyincoming", "timeoutsmtpd", "databytes")
    help = {
        "smtpgreeting": 'Sent as "220 <greeting> ESMTP"; its first word should be this server\'s name.',
        "concurrencyincoming": "tcpserver -c for each SMTP server: with the alternate server on, "
        "the total doubles. Takes effect when the SMTP services restart.",
        "timeoutsmtpd": "How long qmail-smtpd waits for each read from the client: seconds, or with a "
        "unit (20 minutes, 1 hour).",
        "databytes": "Largest message accepted: bytes, or with a unit (10 MB, 512 KB); 0 means no limit.",
    }
    unusual = {"databytes": unusual.message_size, "timeoutsmtpd": unusual.smtpd_timeout}


class BlacklistForm(MtaControlsForm):
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


class OutboundForm(MtaControlsForm):
    controls = ("concurrencyremote", "timeoutremote", "timeoutconnect", "queuelifetime")
    help = {
        "concurrencyremote": "Simultaneous qmail-remote deliveries (concurrency remote).",
        "timeoutremote": "How long qmail-remote waits for each reply of the remote server: seconds, or "
        "with a unit (20 minutes).",
        "timeoutconnect": "How long qmail-remote waits for a connection to be set up, in seconds.",
        "queuelifetime": "How long a message may stay in the queue before it bounces: seconds, or with a "
        "unit (7 days, 604800 seconds = one week).",
    }
    unusual = {
        "concurrencyremote": unusual.remote_concurrency,
        "timeoutremote": unusual.remote_timeout,
        "queuelifetime": unusual.queue_lifetime,
    }

    def __init__(self, *args: Any, state: Mapping[str, Any] | None, **kwargs: Any):
        super().__init__(*args, state=state, **kwargs)
        if state:
            limit = state["conf_spawn"]
            self.fields["concurrencyremote"].help_text += f" At most {limit} here (qmail's conf-spawn)."


class RoutesForm(MtaControlsForm):
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
        address: str = self.cleaned_data["address"].strip()
        if "@" not in address or address.endswith("@"):
            raise forms.ValidationError("Enter a full address, user@domain.")
        return address


_ROOTS = Roots()  # only for the template's defaults; the agent uses its own roots and identities


class SmtpdScriptForm(RunScriptForm):
    """A box kept in an SMTP server's run script: each setting and their combination checked as
    the agent will (smtpd_changes), against the script's other settings when the page knows them."""

    service: ClassVar[str] = "qmail-smtpd"

    def template(self) -> SmtpdParams:
        if self.service == "qmail-smtpd":
            return SmtpdParams.primary(_ROOTS)
        return SmtpdParams.submission(_ROOTS)

    def defaults(self) -> dict[str, Any]:
        params = self.template()
        return {
            "port": params.port,
            "auth_mode": str(params.auth_mode),
            "rbl_zones": list(params.rbl_zones),
            "require_auth": params.require_auth,
            "force_tls": params.force_tls,
        }

    def base_params(self) -> SmtpdParams:
        """The script's settings this box leaves alone: as on the server, else the template's."""
        script = self.script
        if script is None:
            return self.template()
        base, _ = smtpd_changes.inherit(
            self.template(), script["params"], tuple(script["guessed"]), script["exists"]
        )
        return base

    def host_context(self) -> HostContext:
        if self.state is None:
            return HostContext(smtp_ports={"qmail-smtpd": smtpauth.SMTP_PORT})
        ports = {
            name: script["params"]["port"]
            for name, script in self.state["scripts"].items()
            if script["exists"] and script["params"]
        }
        return HostContext(smtp_ports=ports)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            try:
                params = smtpd_changes.changed_params(self.params(), self.base_params())
                smtpd_changes.validated(self.service, params, self.host_context())
            except FieldError as exc:
                self.add_field_error(exc.field, str(exc))
        return cleaned


class PrimarySmtpForm(SmtpdScriptForm):
    # A CharField, not a ChoiceField: a posted "auth_required/…" (from the API or an old form)
    # must get the guide's reason from the library, not "select a valid choice".
    auth_mode = forms.CharField(
        label="Authentication Mode",
        widget=forms.Select(choices=smtpauth.AUTH_MODE_CHOICES),
        help_text="SMTP-AUTH can be optional on port 25 but never required: "
        "other mail servers could no longer deliver to you.",
    )

    def initial_from(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"auth_mode": params["auth_mode"]}

    def clean_auth_mode(self) -> str:
        try:
            return str(smtpd_changes.check_setting("auth_mode", self.cleaned_data["auth_mode"]))
        except FieldError as exc:
            raise forms.ValidationError(str(exc)) from None

    def params(self) -> dict[str, Any]:
        return {"auth_mode": self.cleaned_data["auth_mode"]}


class AlternateSmtpForm(SmtpdScriptForm):
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

    def initial_from(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "port": params["port"],
            "force_tls": params["force_tls"],
            "require_auth": params["require_auth"],
        }

    def params(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("port", "force_tls", "require_auth")}


class RblForm(SmtpdScriptForm):
    payload_fields = {"rbl_zones": "zones"}
    zones = forms.CharField(
        label="Realtime blacklists (RBL zones)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One DNS zone per line, e.g. zen.spamhaus.org. Each becomes rblsmtpd -r ZONE in the "
        "qmail-smtpd run script; every zone adds a DNS lookup to each connection.",
    )

    def initial_from(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"zones": "\n".join(params.get("rbl_zones") or [])}

    def clean_zones(self) -> list[str]:
        zones = [z.strip() for z in self.cleaned_data["zones"].splitlines() if z.strip()]
        try:
            return list(smtpd_changes.check_setting("rbl_zones", zones))
        except FieldError as exc:
            raise forms.ValidationError(str(exc)) from None

    def params(self) -> dict[str, Any]:
        return {"rbl_zones": self.cleaned_data["zones"]}
