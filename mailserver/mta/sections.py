"""The boxes of the MTA page, in the guide's order, and what saving each one does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mailserver.core.sections import Section, SectionPage
from mailserver.protocol import Op

from . import forms

_SMTPD_DETAILS = "mta/_smtpd_details.html"  # the port it listens on, who wrote its run script

SECTIONS = (
    Section(
        "primary",
        "Primary SMTP Server Settings",
        forms.PrimarySmtpForm,
        Op.MTA_WRITE_SMTPD,
        "qmail-smtpd on port 25 receives mail from other MTAs.",
        services=("qmail-smtpd", "qmail-send"),
        run_script="qmail-smtpd",
        details=_SMTPD_DETAILS,
    ),
    Section(
        "alternate",
        "Alternate SMTP Server Settings",
        forms.AlternateSmtpForm,
        Op.MTA_WRITE_SMTPD,
        "A second qmail-smtpd for your own users (submission), with TLS and SMTP-AUTH enforced.",
        services=("qmail-submission",),
        run_script="qmail-submission",
        details=_SMTPD_DETAILS,
    ),
    Section(
        "server",
        "Server Options",
        forms.ServerOptionsForm,
        Op.MTA_WRITE_CONTROLS,
        "The global options: every MTA operator should check these.",
    ),
    Section("inbound", "SMTP Inbound Options", forms.InboundForm, Op.MTA_WRITE_CONTROLS),
    Section(
        "blacklists",
        "MTA Level Outbound and Inbound E-Mail Address Blacklists",
        forms.BlacklistForm,
        Op.MTA_WRITE_CONTROLS,
    ),
    Section(
        "rbl",
        "Realtime (SBL) Blacklists",
        forms.RblForm,
        Op.MTA_WRITE_SMTPD,
        "Checked by rblsmtpd before qmail-smtpd greets the client.",
    ),
    Section("outbound", "SMTP Outbound Options", forms.OutboundForm, Op.MTA_WRITE_CONTROLS),
    Section(
        "routes",
        "SMTP Routes",
        forms.RoutesForm,
        Op.MTA_WRITE_CONTROLS,
        "Artificial routes override the MX lookup; qmail-remote reads them on every delivery.",
    ),
)
BY_SLUG = {section.slug: section for section in SECTIONS}


def _route_tester(state: Mapping[str, Any]) -> dict[str, Any]:
    return {"route_form": forms.RouteTestForm()}


PAGE = SectionPage(
    namespace="mta",
    title="Mail Transfer Agent",
    crumb="MTA",
    read=Op.MTA_READ_STATE,
    sections=SECTIONS,
    template="mta/page.html",
    extra_context=_route_tester,
)
