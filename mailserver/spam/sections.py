"""The boxes of the Spam Filtering page, in the guide's order, and what saving each one does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mailserver.core.sections import Section, SectionPage
from mailserver.core.sections.effects import NOTHING_CHANGED
from mailserver.protocol import Op

from . import forms, settings_form

WRITE_TIMEOUT = 30.0  # spamassassin --lint on a copy (1.2 s here), spamd's restart, the state read again

SECTIONS = (
    Section(
        "smtp",
        "SpamAssassin and SMTP-Level Scanning",
        forms.SmtpScanningForm,
        Op.SIMSCAN_WRITE,
        "spamd scores the mail; simscan can ask it during SMTP and reject spam before it is accepted.",
        services=("spamd",),
        details="spam/_smtp.html",
        answers_part="smtp_scanning",
    ),
    Section(
        "settings",
        "SpamAssassin Options",
        settings_form.SpamSettingsForm,
        Op.SPAM_WRITE,
        "Kept in SpamAssassin's local.cf. Every save is checked with spamassassin --lint on a copy "
        "before it replaces local.cf; spamd is then restarted to read it.",
        details="spam/_local_cf.html",
        timeout=WRITE_TIMEOUT,
    ),
    Section(
        "training",
        "Bayes IMAP Training",
        forms.TrainingForm,
        Op.SPAM_WRITE_TRAINING,
        "Users teach the Bayes filter by moving mail into two folders of their mailbox.",
        details="spam/_training.html",
        answers_part="training",
    ),
)


def describe(result: Mapping[str, Any], state: Mapping[str, Any]) -> str:
    """The notice after a save: what was written, and what spamd or the mailboxes made of it."""
    if not result.get("changes"):
        return NOTHING_CHANGED
    targets = ", ".join(change["target"].removeprefix("spamassassin ") for change in result["changes"])
    parts = [f"Saved: {targets}."]
    if result.get("lint"):
        parts.append(f"spamassassin --lint passed ({result['lint']['seconds']:.1f} s).")
    if result.get("spamd"):
        note = result["spamd"]["note"]
        if result["spamd"].get("restarted"):
            note += " It answers again within a few seconds."
        parts.append(note)
    if result.get("folders_created"):
        parts.append(f"{result['folders_created']} training folders were created in the mailboxes.")
    shown = (state.get("smtp_scanning") or {}).get("notes") or []  # in the box already (simscan missing)
    parts.extend(note for note in result.get("notes") or [] if note not in shown)
    return " ".join(parts)


PAGE = SectionPage(
    namespace="spam",
    title="Spam Filtering",
    crumb="Spam Filtering",
    read=Op.SPAM_READ_STATE,
    sections=SECTIONS,
    template="spam/page.html",
    describe=describe,
)
