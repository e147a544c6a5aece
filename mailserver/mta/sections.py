"""The boxes of the MTA page, in the guide's order, and what saving each one does."""

from __future__ import annotations

from dataclasses import dataclass

from . import forms


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    form: type[forms.SeenMixin]
    operation: str  # the agent operation a save calls
    intro: str = ""


SECTIONS = (
    Section(
        "primary",
        "Primary SMTP Server Settings",
        forms.PrimarySmtpForm,
        "agent.mta.write_smtpd",
        "qmail-smtpd on port 25 receives mail from other MTAs.",
    ),
    Section(
        "alternate",
        "Alternate SMTP Server Settings",
        forms.AlternateSmtpForm,
        "agent.mta.write_smtpd",
        "A second qmail-smtpd for your own users (submission), with TLS and SMTP-AUTH enforced.",
    ),
    Section(
        "server",
        "Server Options",
        forms.ServerOptionsForm,
        "agent.mta.write_controls",
        "The global options: every MTA operator should check these.",
    ),
    Section("inbound", "SMTP Inbound Options", forms.InboundForm, "agent.mta.write_controls"),
    Section(
        "blacklists",
        "MTA Level Outbound and Inbound E-Mail Address Blacklists",
        forms.BlacklistForm,
        "agent.mta.write_controls",
    ),
    Section(
        "rbl",
        "Realtime (SBL) Blacklists",
        forms.RblForm,
        "agent.mta.write_smtpd",
        "Checked by rblsmtpd before qmail-smtpd greets the client.",
    ),
    Section("outbound", "SMTP Outbound Options", forms.OutboundForm, "agent.mta.write_controls"),
    Section(
        "routes",
        "SMTP Routes",
        forms.RoutesForm,
        "agent.mta.write_controls",
        "Artificial routes override the MX lookup; qmail-remote reads them on every delivery.",
    ),
)
BY_SLUG = {section.slug: section for section in SECTIONS}
