"""The Mail Queue page's forms. Each validates with the very function the agent runs
(``mailserver.qmail.queue.request``), so a value the agent would refuse stands beside its field
and nothing is sent."""

from __future__ import annotations

from typing import Any

from django import forms

from mailserver.core.sections.units import BYTES, parse
from mailserver.qmail.errors import FieldError
from mailserver.qmail.queue import request
from mailserver.qmail.queue.listing import SELECTS, SORTS

PER_PAGE = 50
FILTERS = ("sender", "recipient", "domain", "min_age", "max_age", "min_size", "max_size", "select")
PARTS = (("local", "Local"), ("remote", "Remote"), ("todo", "Todo"), ("all", "All"))


def _text(label: str, placeholder: str = "", help_text: str = "") -> forms.CharField:
    widget = forms.TextInput(attrs={"placeholder": placeholder, "autocomplete": "off"})
    return forms.CharField(label=label, required=False, max_length=320, widget=widget, help_text=help_text)


def _refuse(form: forms.Form, exc: FieldError, fields: tuple[str, ...]) -> None:
    """The library's refusal beside the field it names (above the form when it names none of them)."""
    form.add_error(exc.field if exc.field in fields else None, str(exc))


class FilterForm(forms.Form):
    """Which messages the browse table lists, how it is sorted, which page (a GET: it can be bookmarked)."""

    sender = _text("Sender", "*@example.com or <>")
    recipient = _text("Recipient", "user@example.com")
    # Recipients' only (the library's filter): "Domain" alone read as the sender's too.
    domain = _text("Recipient domain", "example.com")
    min_age = _text("Older than", "2 days")
    max_age = _text("Younger than", "1 week")
    min_size = _text("Larger than", "100 KB")
    max_size = _text("Smaller than", "10 MB")
    select = forms.ChoiceField(
        label="Part of the queue",
        required=False,
        choices=[("", "Any"), *((s, s.capitalize()) for s in SELECTS)],
    )
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in SORTS], widget=forms.HiddenInput)
    desc = forms.ChoiceField(
        required=False, choices=[("", ""), ("1", "1"), ("0", "0")], widget=forms.HiddenInput
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def _size(self, name: str) -> int | None:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return None
        try:
            digits = parse(text, BYTES)
        except forms.ValidationError as exc:
            self.add_error(name, exc)
            return None
        if not digits.isdigit():
            self.add_error(name, f'"{text}" is not a size: give bytes, or a number with KB, MB or GB.')
            return None
        return int(digits)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw: dict[str, Any] = {name: (data.get(name) or "").strip() for name in FILTERS}
        raw["min_size"], raw["max_size"] = self._size("min_size"), self._size("max_size")
        given = {k: v for k, v in raw.items() if v not in ("", None)}
        # Each field on its own first, so that every bad one is said at once, not one per Filter.
        for name, value in given.items():
            if name not in self.errors:
                try:
                    request.filters({name: value})
                except FieldError as exc:
                    _refuse(self, exc, FILTERS)
        if not self.errors:
            try:
                request.filters(given)
            except FieldError as exc:
                self._refuse_range(exc, data)
        self.filters = given
        return data

    # The library's words for a range the wrong way round are the command line's ("the largest
    # age"); the page says it with the labels the admin sees.
    RANGES = {
        "max_age": ("min_age", "older than", "younger than", '"Younger than" must be the longer time'),
        "max_size": ("min_size", "larger than", "smaller than", '"Smaller than" must be the larger size'),
    }

    def _refuse_range(self, exc: FieldError, data: dict[str, Any]) -> None:
        if exc.field not in self.RANGES:
            _refuse(self, exc, FILTERS)
            return
        low, above, below, rule = self.RANGES[exc.field]
        low_text, high_text = (data.get(low) or "").strip(), (data.get(exc.field) or "").strip()
        self.add_error(exc.field, f"No message is both {above} {low_text} and {below} {high_text}: {rule}.")

    def payload(self) -> dict[str, Any]:
        """The QUEUE_LIST payload: these filters, this sort, this page of PER_PAGE rows."""
        sort = self.sort_key()
        return {
            "filters": self.filters,
            "sort": sort,
            "descending": self.descending(),
            "offset": (self.page_number() - 1) * PER_PAGE,
            "limit": PER_PAGE,
        }

    def sort_key(self) -> str:
        return str(self.cleaned_data.get("sort") or "arrived")

    def descending(self) -> bool:
        desc = self.cleaned_data.get("desc")
        if desc in ("0", "1"):
            return bool(desc == "1")
        return self.sort_key() in ("arrived", "size", "recipients")  # newest, largest, most first

    def page_number(self) -> int:
        return int(self.cleaned_data.get("page") or 1)


class InjectForm(forms.Form):
    """A test message through qmail-inject."""

    sender = forms.CharField(
        label="From", max_length=320, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    to = forms.CharField(
        label="To",
        max_length=4000,
        help_text="One address, or several separated by commas.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    subject = forms.CharField(label="Subject", required=False, max_length=request.MAX_SUBJECT)
    body = forms.CharField(label="Body", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    FIELDS = {"from": "sender", "to": "to", "subject": "subject", "body": "body"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The filter of the same page has a "sender" too: ids of their own keep each label on its field.
        kwargs.setdefault("auto_id", "id_test_%s")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                request.inject_request(self.payload())
            except FieldError as exc:
                self.add_error(self.FIELDS.get(exc.field), str(exc))
        return data

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "from": data.get("sender", ""),
            "to": data.get("to", ""),
            "subject": data.get("subject", ""),
            "body": data.get("body", ""),
        }


def selected(values: list[str]) -> tuple[list[int], dict[str, int]]:
    """The rows ticked in the table ("ID:ARRIVED" each): their numbers and the arrival each row showed.

    The arrival lets the agent skip a number qmail reused for a newer message meanwhile.
    """
    ids: list[int] = []
    arrived: dict[str, int] = {}
    for value in values:
        number, _, when = value.partition(":")
        if not number.isdigit() or (when and not when.isdigit()):
            raise FieldError("ids", f"{value!r} is not a message of the table")
        ids.append(int(number))
        if when:
            arrived[number] = int(when)
    if not ids:
        raise FieldError("ids", "Tick at least one message first.")
    return ids, arrived
