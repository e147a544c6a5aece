"""The Spam Filtering page's smaller boxes: SMTP-level scanning (simscan) and Bayes IMAP training.

The SpamAssassin Options box is ``settings_form.SpamSettingsForm``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import forms

from mailserver.protocol.records import ChangeRecord, intended
from mailserver.qmail import simcontrol
from mailserver.spamassassin import training

from .boxes import FileValuesForm


class SmtpScanningForm(FileValuesForm):
    """simscan's default line of control/simcontrol: spam=yes|no and spam_hits=."""

    names = ("spam", "spam_hits")

    def add_fields(self) -> None:
        self.fields["spam"] = forms.BooleanField(
            label="SMTP-Level Scanning",
            required=False,
            help_text="simscan has spamd score every message while the sender is still connected "
            "(spam=yes in control/simcontrol), so most mail is scanned twice: now and on delivery.",
        )
        self.fields["spam_hits"] = forms.CharField(
            label="SMTP Spam Score Threshold (simscan's spam_hits)",
            help_text="simscan rejects a message during SMTP when its score is this or higher. "
            "It is simscan's own threshold, not the Spam score threshold of SpamAssassin Options, which only "
            "marks mail on delivery; keep it higher (the guide suggests 7 if you fear losing mail).",
        )

    def values_from(self, state: Mapping[str, Any]) -> dict[str, Any]:
        scanning = state["smtp_scanning"]
        return {"spam": scanning["spam"], "spam_hits": scanning["spam_hits"]}

    def sha_from(self, state: Mapping[str, Any]) -> str | None:
        return state["smtp_scanning"]["simcontrol"]["sha256"]  # type: ignore[no-any-return]

    def check(self, name: str, value: Any) -> Any:
        return simcontrol.check_spam_hits(value) if name == "spam_hits" else value

    def payload(self) -> dict[str, Any]:
        return {**self.values, "expect": {"simcontrol": self.expect()}}

    def intended(self) -> list[ChangeRecord]:
        return [intended("control/simcontrol", "write", json.dumps(self.values))]


class TrainingForm(FileValuesForm):
    """Bayes IMAP training on or off, and the daily learning limit per folder."""

    names = ("imap_training", "learn_limit")
    payload_fields = {"enabled": "imap_training"}

    def add_fields(self) -> None:
        folders = " and ".join(training.FOLDERS.values())
        self.fields["imap_training"] = forms.BooleanField(
            label="Bayes IMAP Training",
            required=False,
            help_text=f"Creates the folders {folders} in every mailbox. Once a day the panel feeds what "
            "users put there to sa-learn, then empties them.",
        )
        self.fields["learn_limit"] = forms.IntegerField(
            label="Bayes IMAP Learning Limit (per day)",
            min_value=1,
            max_value=training.LIMIT_MAX,
            help_text="At most this many messages a day are learned from each of a mailbox's two folders.",
        )

    def values_from(self, state: Mapping[str, Any]) -> dict[str, Any]:
        chosen = state["training"]
        return {"imap_training": chosen["enabled"], "learn_limit": chosen["limit"]}

    def sha_from(self, state: Mapping[str, Any]) -> str | None:
        return state["training"]["file"]["sha256"]  # type: ignore[no-any-return]

    def check(self, name: str, value: Any) -> Any:
        return training.check_limit(value) if name == "learn_limit" else value

    def payload(self) -> dict[str, Any]:
        return {**self.values, "expect": self.expect()}

    def intended(self) -> list[ChangeRecord]:
        return [intended("spamassassin nodeworx-imap-training", "write", json.dumps(self.values))]
