"""The Mail Logs form on its own: what it refuses before the agent is asked."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from mailserver.logs import forms
from mailserver.qmail.logs import request
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


@pytest.fixture
def host_zone() -> Iterator[Callable[[str], None]]:
    """Set the process's local zone (the mail host's, as the agent reads dates); restored after."""
    before = os.environ.get("TZ")

    def use(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield use
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_a_date_typed_selects_the_moment_the_tables_show_whatever_the_mail_hosts_zone(
    settings: Any, host_zone: Callable[[str], None]
) -> None:
    # The tables show times in the panel's zone; the agent read a typed date in the mail host's,
    # so a time copied from a table selected one shifted by the difference (6 hours here).
    settings.TIME_ZONE = "Europe/Berlin"
    form = forms.LogQueryForm(
        {"preset": "range", "start": "2026-11-25 13:35", "end": "2026-11-25 14:35", "report": "show-all"}
    )
    assert form.is_valid(), form.errors
    payload = form.payload()
    host_zone("America/New_York")
    start, end = request.period(payload["period"])  # what the agent reads on the mail host
    assert start == datetime(2026, 11, 25, 12, 35, tzinfo=UTC).timestamp()
    assert end - start == 3600
    assert "Europe/Berlin" in str(form["start"].help_text)


@pytest.mark.parametrize(("start", "end"), [("5 hours ago", "now"), ("1795613737", "2 hours ago")])
def test_moments_that_mean_the_same_in_every_zone_go_as_typed(start: str, end: str, settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Berlin"
    form = forms.LogQueryForm({"preset": "range", "start": start, "end": end, "report": "show-all"})
    assert form.is_valid(), form.errors
    assert form.payload()["period"] == {"start": start, "end": end}


def test_a_date_that_is_none_is_refused_beside_start_as_typed(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Berlin"
    form = forms.LogQueryForm({"preset": "range", "start": "2026-13-45 10:00", "report": "show-all"})
    assert not form.is_valid()
    assert form.errors["start"] == ['"2026-13-45 10:00" is not a date: use YYYY-MM-DD HH:MM']
    assert form["start"].value() == "2026-13-45 10:00"
