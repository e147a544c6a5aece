"""A page that exists only in the tests: one box of two control files, declared like a real page.

It is all a new page needs (the Mail Queue, Spam Filtering, ...): this declaration, its form and a
line in its urls.py. Nothing in mailserver/core/sections was changed for it.
"""

from __future__ import annotations

from mailserver.core.sections import ControlFilesForm, Section, SectionPage
from mailserver.protocol import Op


class DomainsForm(ControlFilesForm):
    controls = ("rcpthosts", "locals")
    textareas = controls
    help = {"locals": "Domains delivered on this server."}


PAGE = SectionPage(
    namespace="domains",
    title="Domains",
    crumb="Domains",
    read=Op.MTA_READ_STATE,
    sections=(
        Section(
            "domains",
            "Accepted and Local Domains",
            DomainsForm,
            Op.MTA_WRITE_CONTROLS,
            "The domains this server takes mail for, and those it delivers itself.",
            services=("qmail-send",),
        ),
    ),
)
