"""The Mail Logs form on its own: what it refuses before the agent is asked."""

from __future__ import annotations

import pytest

from mailserver.logs import forms
from mailserver.qmail.logs.timespec import TimeSpecError


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"preset": "last", "last": "3 hours"}, "last"),
        ({"preset": "range", "start": "5 hours ago"}, "start"),
        ({"preset": "1 hour"}, "preset"),
    ],
)
def test_an_error_without_a_field_goes_beside_the_period_typed(
    monkeypatch: pytest.MonkeyPatch, data: dict[str, str], field: str
) -> None:
    def refuse(payload: object) -> None:
        raise TimeSpecError("NODEWORX_NOW: out of range")  # an InvalidValue that names no field

    monkeypatch.setattr(forms.logs_payload, "report_request", refuse)
    form = forms.LogQueryForm({**data, "report": "show-all"})
    assert not form.is_valid()
    assert form.errors == {field: ["NODEWORX_NOW: out of range"]}


def test_a_plain_value_error_is_a_form_error_too(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(payload: object) -> None:
        raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")

    monkeypatch.setattr(forms.logs_payload, "report_request", refuse)
    form = forms.LogQueryForm({"preset": "last", "last": "3 hours", "report": "show-all"})
    assert not form.is_valid() and "last" in form.errors


@pytest.mark.parametrize("at", ["20000000000000000000", "1099511627776", "-1", "inf"])
def test_a_timeline_time_out_of_range_is_refused(at: str) -> None:
    assert not forms.MessageForm({"id": "1466983", "at": at}).is_valid()


def test_a_timeline_time_in_range_is_taken() -> None:
    form = forms.MessageForm({"id": "1466983", "at": "1795613737.5"})
    assert form.is_valid() and form.cleaned_data["at"] == 1795613737.5


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"preset": "last", "last": ""}, "last", 'Give a number and a unit, e.g. "36 hours" or "6 days".'),
        ({"preset": "range", "start": "", "end": ""}, "start", 'Give the start, e.g. "5 hours ago".'),
    ],
)
def test_an_empty_period_field_says_what_to_type(data: dict[str, str], field: str, message: str) -> None:
    # It said '"" is not a fuzzy date …' and 'start is required' (the field is labelled Start).
    form = forms.LogQueryForm({**data, "report": "show-all"})
    assert not form.is_valid()
    assert form.errors == {field: [message]}


def test_the_grouping_of_top_deferrals_and_failures_reads_as_a_phrase() -> None:
    # Its label was the reports' names ("top-deferrals/failures") above "per recipient".
    form = forms.LogQueryForm()
    assert form["by"].label == "Count"
    assert [label for _, label in forms.BY] == ["per recipient", "per sender"]
