"""The Mail Logs form: the guide's selectors, x-filters and operators as one query.

It builds the agent's ``logs.report`` payload and checks it with the very functions the agent
runs (mailserver.qmail.logs.request, built on the log library's timespec parsers), so a mixed
fuzzy date is refused beside its field before the agent is even asked. Only the options that
apply to the chosen report are sent (OPTIONS); sort, reverse and offset come from the table's
column headers and paging links, not from fields the admin types into.
"""

from __future__ import annotations

import re
from datetime import tzinfo
from typing import Any

from django import forms
from django.utils import timezone

from mailserver.qmail.errors import FieldError
from mailserver.qmail.logs import request as logs_payload
from mailserver.qmail.logs.causes import COLUMNS as CAUSES_COLUMNS
from mailserver.qmail.logs.reports import Stats, table
from mailserver.qmail.logs.request import CAUSES_REPORT, MAX_OFFSET, MAX_ROWS, SHOW_REPORTS, SOURCES
from mailserver.qmail.logs.timespec import MAX_EPOCH, pinned

PRESETS = [
    ("5 minutes", "Last 5 minutes"),
    ("1 hour", "Last hour"),
    ("3 hours", "Last 3 hours"),
    ("12 hours", "Last 12 hours"),
    ("1 day", "Last day"),
    ("1 week", "Last week"),
    ("last", "Last … (fuzzy)"),
    ("range", "Start / end"),
]
REPORTS = [
    ("show-all", "show-all: every delivery"),
    ("show-success", "show-success"),
    ("show-deferrals", "show-deferrals"),
    ("show-failures", "show-failures"),
    ("top-senders", "top-senders"),
    ("top-recipients", "top-recipients"),
    ("top-deferrals", "top-deferrals"),
    ("top-failures", "top-failures"),
    ("top-user-stats", "top-user-stats"),
    ("top-domain-stats", "top-domain-stats"),
    (CAUSES_REPORT, "deferrals-by-cause: why mail waits"),
]
_TOP = tuple(name for name, _ in REPORTS if name.startswith("top-"))
# Which reports each option means something for (the page hides the others, the payload leaves
# them out): detail adds sender and size to show-* rows; channel splits top-* and the causes.
OPTIONS: dict[str, tuple[str, ...]] = {
    "detail": tuple(SHOW_REPORTS),
    "channel": (*_TOP, CAUSES_REPORT),
    "by": ("top-deferrals", "top-failures"),
    "sort": (*_TOP, CAUSES_REPORT),
}
CHANNELS = [("both", "Both"), ("local", "Local (-local)"), ("remote", "Remote (-remote)")]
BY = [("recipient", "per recipient"), ("sender", "per sender")]
_SPLIT = re.compile(r"[\s,;]+")


def _pinned(text: str, zone: tzinfo) -> str:
    """A date typed as the tables show times (the panel's zone) as the moment it names; the
    agent would read it in the mail host's zone. Anything else goes as typed, to be checked."""
    try:
        return pinned(text, zone)
    except ValueError:  # no date ("2026-13-45"): refused beside its field as typed
        return text


def _list(text: str) -> list[str]:
    return [part for part in _SPLIT.split(text.strip()) if part]


class LogQueryForm(forms.Form):
    preset = forms.ChoiceField(label="Period", choices=PRESETS, initial="1 hour")
    last = forms.CharField(
        label="Last",
        required=False,
        help_text='One number and one unit, e.g. "36 hours" or "6 days" (like qmail-last-x).',
    )
    start = forms.CharField(label="Start", required=False)  # help: __init__ (it names the zone)
    end = forms.CharField(label="End", required=False, help_text='Same forms; empty means "now".')
    rcpt = forms.CharField(label="Recipient (xrcpt)", required=False)
    sender = forms.CharField(label="Sender (xsend)", required=False, help_text="<> selects bounces.")
    user = forms.CharField(
        label="Unix user (xuser)", required=False, help_text="Mail from or to the domains the user owns."
    )
    webmail = forms.BooleanField(label="Only webmail (xwebmail)", required=False)
    webmail_uids = forms.CharField(
        label="Webmail uid or user",
        required=False,
        help_text="Empty: the server's setting (apache / www-data).",
    )
    report = forms.ChoiceField(label="Report", choices=REPORTS, initial="show-all")
    detail = forms.BooleanField(label="Detail (sender and size)", required=False)
    channel = forms.ChoiceField(label="Channel", choices=CHANNELS, initial="both", required=False)
    by = forms.ChoiceField(label="Count", choices=BY, initial="recipient", required=False)
    # Set by the table's column headers (a column name); kept in the form so a new run keeps it.
    sort = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    reverse = forms.BooleanField(required=False, widget=forms.HiddenInput)
    limit = forms.IntegerField(
        label="Rows",
        min_value=1,
        max_value=MAX_ROWS,
        initial=MAX_ROWS,
        required=False,
        help_text="Per page; Previous / Next show the others.",
    )
    # Where the agent reads: "auto" (the delivery index when it holds the log's last line, else
    # the log), or one of them; only in the URL (support, tests), there is no field for it.
    source = forms.ChoiceField(
        choices=[(s, s) for s in SOURCES], required=False, initial="auto", widget=forms.HiddenInput
    )
    # Set by the Previous / Next links only: a new run starts at the first page.
    offset = forms.IntegerField(min_value=0, max_value=MAX_OFFSET, required=False, widget=forms.HiddenInput)

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if data is not None and not data.get("limit"):
            # A query without Rows (a bookmark, a URL written by hand) runs with the default:
            # the field shows it rather than an empty box beside a table of 500 rows.
            data = data.copy()
            data["limit"] = str(MAX_ROWS)
        super().__init__(data, *args, **kwargs)
        # Its help names the zone the tables show times in, which a typed date is read in (_pinned).
        self.fields["start"].help_text = (
            f'Epoch seconds, "5 hours ago" or YYYY-MM-DD HH:MM ({timezone.get_current_timezone_name()}, '
            "as the tables show times)."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        # An empty box of the period chosen: what to type, not the parser's view of "".
        if data.get("preset") == "last" and not data.get("last"):
            self.add_error("last", 'Give a number and a unit, e.g. "36 hours" or "6 days".')
            return data
        if data.get("preset") == "range" and not data.get("start"):
            self.add_error("start", 'Give the start, e.g. "5 hours ago".')
            return data
        payload = self.payload()
        try:
            logs_payload.report_request(payload)
        except FieldError as exc:
            self.add_agent_error(exc.field, str(exc))
        except ValueError as exc:  # InvalidValue (e.g. TimeSpecError) without a field: the times
            self.add_agent_error(self.period_field(), str(exc))
        return data

    def period_field(self) -> str:
        """The field the admin typed the period into (the one to blame for a bad time)."""
        preset = self.cleaned_data.get("preset")
        return "start" if preset == "range" else "last" if preset == "last" else "preset"

    def period(self) -> dict[str, str]:
        data = self.cleaned_data
        preset = data.get("preset") or "1 hour"
        if preset == "range":
            zone = timezone.get_current_timezone()
            return {
                "start": _pinned(data.get("start") or "", zone),
                "end": _pinned(data.get("end") or "", zone),
            }
        return {"last": (data.get("last") or "") if preset == "last" else preset}

    def applies(self, option: str) -> bool:
        return self.cleaned_data.get("report") in OPTIONS[option]

    def sort_column(self) -> str | None:
        """The sort column asked for, when the chosen report has it (a header of another report
        kept in the form would otherwise be refused)."""
        wanted = self.cleaned_data.get("sort") or None
        if not wanted or not self.applies("sort"):
            return None
        columns = columns_for(self.cleaned_data["report"], self.cleaned_data.get("by") or "recipient")
        matches = [c for c in columns if c == wanted] or [c for c in columns if c.startswith(wanted)]
        return wanted if len(matches) == 1 else None

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        sort = self.sort_column()
        return {
            "period": self.period(),
            "filters": {
                "rcpt": _list(data.get("rcpt") or ""),
                # An empty sender box means "any sender"; "<>" is how the admin asks for bounces.
                "sender": _list(data.get("sender") or ""),
                "user": _list(data.get("user") or ""),
                "webmail": bool(data.get("webmail")),
                "webmail_uids": _list(data.get("webmail_uids") or ""),
            },
            "report": data.get("report"),
            "detail": bool(data.get("detail")) and self.applies("detail"),
            "channel": (data.get("channel") or "both") if self.applies("channel") else "both",
            "by": (data.get("by") or "recipient") if self.applies("by") else "recipient",
            "sort": sort,
            "reverse": bool(data.get("reverse")) and sort is not None,
            "limit": data.get("limit") or MAX_ROWS,
            "offset": data.get("offset") or 0,
            "source": data.get("source") or "auto",
        }

    def add_agent_error(self, field: str | None, message: str) -> None:
        """Put an error (the form's own check or the agent's refusal) beside the field it names."""
        if field == "period":
            field = "preset"
        self.add_error(field if field in self.fields else None, message)


def columns_for(report: str, by: str = "recipient") -> list[str]:
    """The columns of a top-* or causes table, as the agent names them (what ``sort`` may be)."""
    if report == CAUSES_REPORT:
        return list(CAUSES_COLUMNS)
    return table(report, Stats(), by=by).columns


class MessageForm(forms.Form):
    """A timeline request: the message number and the time of one of its lines (ids are reused)."""

    id = forms.IntegerField(min_value=1, max_value=2**63 - 1)  # the agent refuses larger ids
    at = forms.FloatField(min_value=0, max_value=MAX_EPOCH - 1)
    # The columns of the table the timeline opens in (it spans them, under its row).
    cols = forms.IntegerField(min_value=1, max_value=20, required=False)


class RetentionForm(forms.Form):
    # Its help is written under the row by the template, so that Save sits beside the input.
    days = forms.IntegerField(
        label="Keep rows (days)",
        min_value=1,
        max_value=3650,
        widget=forms.NumberInput(attrs={"aria-describedby": "retention-help"}),
    )
