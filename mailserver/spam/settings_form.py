"""The SpamAssassin Options box: the guide's settings, kept in the site's ``local.cf``.

Each field is checked as SpamAssassin reads it (``spamassassin.changes.check_field``, the rule
the agent applies again); the agent then lints the whole candidate with the real ``spamassassin
--lint`` before it replaces local.cf. A lint failure comes back as one refusal naming the first
problem's field; the box then asks the agent to lint the same payload again without writing
(``SPAM_CHECK``) to put every problem beside the field that produced it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import forms

from mailserver.core import agent
from mailserver.protocol import Op
from mailserver.protocol.records import ChangeRecord, intended
from mailserver.spamassassin import changes
from mailserver.spamassassin.settings import LABELS, REPORT_METHODS

from .boxes import FileValuesForm

LINT_REFUSED = "SpamAssassin's lint refused"  # the first words of the agent's LintFailed message
CHECK_TIMEOUT = 30.0  # spamassassin --lint takes 1.2 s here, far longer on a loaded host

HELP = {
    "required_score": "SpamAssassin marks a message as spam at this score or above, when it is "
    "delivered (required_score). 5 is SpamAssassin's default; lower is stricter. This is not the SMTP "
    "threshold of simscan above, which rejects mail during SMTP.",
    "rewrite_subject": "Put before the subject of a message marked as spam, e.g. [SPAM] "
    "(rewrite_header Subject). Empty: subjects are left alone.",
    "report_safe": "How a message marked as spam reaches the mailbox (report_safe 0, 1 or 2).",
    "auto_whitelist": "Weighs a message's score by the sender's earlier scores "
    "(the AWL plugin, use_auto_welcomelist).",
    "whitelist": "Senders whose mail is never marked as spam, one per line: user@example.com, "
    "*@example.com, or a domain (example.com is read as *@example.com). welcomelist_from.",
    "blacklist": "Senders whose mail is always marked as spam, one per line, as the white list. "
    "blocklist_from.",
    "trusted_networks": "Relays not run by spammers, one per line: 192.0.2.0/24, 10/8, 2001:db8::/32, "
    "or !192.0.2.7 to leave one out (trusted_networks).",
    "bayes_auto_learn": "Learns from messages whose score clearly says spam or not spam (bayes_auto_learn).",
    "bayes_global": "On: one Bayes database for every mailbox (bayes_path under spamd's home). "
    "Off: each mailbox user has their own, which fights spam better but needs each user to train.",
    "advanced": "Raw SpamAssassin directives, one per line, written after the settings above "
    "(see SpamAssassin's Mail::SpamAssassin::Conf). Directives a field above sets, and those that "
    "load code or name files, are refused.",
}
TEXTAREAS = {
    "whitelist": "lines",
    "blacklist": "lines",
    "trusted_networks": "lines",
    "advanced": "block",
}
FLAGS = ("auto_whitelist", "bayes_auto_learn", "bayes_global")
DIRECTIVES = {  # shown in the labels: what an admin finds in local.cf
    "required_score": "required_score",
    "report_safe": "report_safe",
}


class SpamSettingsForm(FileValuesForm):
    names = changes.FORM_FIELDS
    textareas = TEXTAREAS

    def add_fields(self) -> None:
        overrides = (self.state or {}).get("overrides") or []
        for name in self.names:
            label = LABELS[name] + (f" ({DIRECTIVES[name]})" if name in DIRECTIVES else "")
            # Another *.cf of the site that sets the field: said beside it, as the admin's value may not win.
            elsewhere = [f"{o['file']} line {o['line']} also sets it: {o['text']}" for o in overrides
                         if o["field"] == name]  # fmt: skip
            self.fields[name] = self._field(name, label, " ".join([HELP[name], *elsewhere]))
        replace = self.fields["replace_hand_edits"]
        replace.label = "Replace the hand-written local.cf shown above"
        replace.help_text = (
            "Directives without a field of their own go into Advanced preferences; comments are lost."
        )

    def _field(self, name: str, label: str, help_text: str) -> forms.Field:
        if name in FLAGS:
            return forms.BooleanField(label=label, required=False, help_text=help_text)
        if name == "report_safe":
            return forms.TypedChoiceField(
                label=label,
                choices=[(str(value), f"{value}: {text}") for value, text in REPORT_METHODS.items()],
                coerce=int,
                help_text=help_text,
                widget=forms.RadioSelect,
            )
        if name in TEXTAREAS:
            rows = 6 if name == "advanced" else 4
            return forms.CharField(
                label=label, required=False, strip=False, help_text=help_text,
                widget=forms.Textarea(attrs={"rows": rows, "spellcheck": "false"}),
            )  # fmt: skip
        return forms.CharField(label=label, required=name != "rewrite_subject", help_text=help_text)

    def values_from(self, state: Mapping[str, Any]) -> dict[str, Any]:
        return {name: state["settings"][name] for name in self.names}

    def sha_from(self, state: Mapping[str, Any]) -> str | None:
        return state["local_cf"]["sha256"]  # type: ignore[no-any-return]

    def hand_edited(self, state: Mapping[str, Any]) -> bool:
        local = state["local_cf"]
        return bool(local["exists"] and (local["hand_edited"] or not local["managed"]))

    def check(self, name: str, value: Any) -> Any:
        changes.check_field(name, value)
        return value

    def payload(self) -> dict[str, Any]:
        return {
            "settings": self.values,
            "expect": self.expect(),
            "replace_hand_edit": bool(self.cleaned_data.get("replace_hand_edits")),
        }

    def intended(self) -> list[ChangeRecord]:
        return [intended("spamassassin local.cf", "write", json.dumps(self.values))]

    def add_field_error(self, field: str | None, message: str) -> None:
        """A lint failure is put problem by problem beside the fields that produced them."""
        if message.startswith(LINT_REFUSED) and self._lint_problems_beside_fields():
            self.add_error(None, message.split("\n", 1)[0])
            return
        super().add_field_error(field, message)

    def _lint_problems_beside_fields(self) -> bool:
        """Lint the refused payload again, without writing, for each problem's field; False if that fails."""
        if self.state is None or not hasattr(self, "values"):
            return False
        try:
            check = agent.call(Op.SPAM_CHECK, self.payload(), node=self.state["node"], timeout=CHECK_TIMEOUT)
        except agent.AgentError:
            return False
        if check["ok"] or not check["problems"]:
            return False  # the site changed meanwhile: the refusal's own words are shown instead
        for problem in check["problems"]:
            target = problem["field"] if problem["field"] in self.fields else None
            self.add_error(target, problem["describe"])
        return True
