"""The Virus Filtering page: ClamAV's services and SMTP-level virus scanning in one box, as the
guide's "Virus Filter Settings Page" has them; the definitions, clamd's answer and freshclam's last
update are shown beside it (templates/virus/page.html), read with the page's one state read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mailserver.core.sections import Section, SectionPage
from mailserver.protocol import Op

from . import forms

DATABASES = ("main", "daily", "bytecode")  # the three official databases, in the guide's order

SECTIONS = (
    Section(
        "clamav",
        "ClamAV",
        forms.SmtpScanningForm,
        Op.SIMSCAN_WRITE,
        "clamd is the virus scanner; freshclam keeps its virus definitions up to date. Both should run "
        "and start at boot.",
        services=("clamd", "freshclam"),
        details="virus/_scanning.html",
        answers_part="smtp_scanning",
    ),
)


def _definitions(state: Mapping[str, Any]) -> dict[str, Any]:
    """The Virus Definition Information table's rows, in the guide's order."""
    databases = state.get("databases") or {}
    return {"definitions": [(name, databases.get(name)) for name in DATABASES]}


PAGE = SectionPage(
    namespace="virus",
    title="Virus Filtering",
    crumb="Virus Filtering",
    read=Op.VIRUS_READ_STATE,
    sections=SECTIONS,
    template="virus/page.html",
    extra_context=_definitions,
    describe=forms.describe,
)
