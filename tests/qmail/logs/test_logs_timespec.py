"""The guide's fuzzy dates: one number and one unit, never mixed; epoch seconds; a fixed "now"."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from mailserver.qmail.logs.timespec import TimeSpecError, hstamp, now, parse_duration, parse_point, pinned

NOW = 1795614120.0  # 2026-11-25 13:42:00 UTC


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3 hours", 3 * 3600),
        ("5 minutes", 300),
        ("6 days", 6 * 86400),
        ("12 hours ago", 12 * 3600),
        ("1 week ago", 604800),
        ("3 seconds ago", 3),
        ("5044 minutes", 5044 * 60),
        ("  2   HOURS  ", 7200),
        ("1 hour", 3600),
        ("90s", 90),
    ],
)
def test_it_reads_one_number_and_one_unit(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "advice"),
    [
        ("3 days 12 hours 4 minutes", '"5044 minutes"'),  # the guide's own example
        ("3 days 12 hours", '"84 hours"'),
        ("1 hour 30 minutes ago", '"90 minutes"'),
    ],
)
def test_it_refuses_mixed_units_and_does_the_math_for_the_admin(text: str, advice: str) -> None:
    with pytest.raises(TimeSpecError, match="Mixed fuzzy dates") as refused:
        parse_duration(text)
    assert advice in str(refused.value)


@pytest.mark.parametrize(
    "text", ["", "hours", "3", "3 fortnights", "-3 hours", "yesterday", "٣ hours", "３ hours", "² hours"]
)
def test_it_refuses_what_is_not_a_fuzzy_date(text: str) -> None:
    with pytest.raises(TimeSpecError):
        parse_duration(text)


def test_points_are_epoch_seconds_hstamps_dates_or_now(tool_env: dict[str, str]) -> None:
    assert parse_point("1320438841", at=NOW) == 1320438841.0  # `date +%s` output
    assert parse_point("5 hours ago", at=NOW) == NOW - 5 * 3600
    assert parse_point("now", at=NOW) == NOW
    assert parse_point("2026-11-25 13:35", at=NOW) == 1795613700.0  # local time; TZ=UTC here


def test_hstamp_prints_whole_epoch_seconds() -> None:
    assert hstamp("5 hours ago", at=NOW + 0.75) == int(NOW) - 5 * 3600


def test_now_can_be_pinned_for_repeatable_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODEWORX_NOW", str(NOW))
    assert now() == NOW
    assert hstamp("3 seconds ago") == int(NOW) - 3
    monkeypatch.setenv("NODEWORX_NOW", "soon")
    with pytest.raises(TimeSpecError):
        now()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9" * 400, "out of range"),  # float() would make it infinity
        ("20000000000000000000", "out of range"),  # past any TAI64N label
        ("1099511627776", "out of range"),  # 2**40
        ("1969-12-31", "out of range"),
        ("9" * 5000 + " hours ago", "more than 12 digits"),  # int() refuses over 4300 digits
        ("999999999999 weeks ago", "too long"),
    ],
)
def test_points_out_of_range_are_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(TimeSpecError, match=message) as refused:
        parse_point(text, at=NOW)
    assert len(str(refused.value)) < 200  # a pasted number is not echoed back whole


def test_the_range_ends_just_below_two_to_the_forty() -> None:
    assert parse_point("1099511627775.5", at=NOW) == 1099511627775.5
    assert parse_point("0", at=NOW) == 0.0
    assert parse_duration("1817975 weeks") == 1817975 * 604800  # the most weeks below 2**40 s
    assert parse_point("3000 weeks ago", at=NOW) == 0.0  # before 1970: the start of the epoch


@pytest.mark.parametrize(
    "text", ["9" * 5000 + " hours", "1" + "0" * 12 + " seconds", "3 days " + "9" * 13 + " hours"]
)
def test_durations_with_huge_numbers_are_refused(text: str) -> None:
    with pytest.raises(TimeSpecError, match="more than 12 digits"):
        parse_duration(text)


def test_a_pinned_now_out_of_range_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODEWORX_NOW", "9" * 400)
    with pytest.raises(TimeSpecError, match="NODEWORX_NOW"):
        now()


@pytest.mark.parametrize("text", ["١٧٩٥٦١٤١٢٠", "２０２６-11-25", "²"])
def test_points_take_ascii_digits_only(text: str) -> None:
    with pytest.raises((TimeSpecError, ValueError)):
        parse_point(text, at=NOW)


def test_a_trailing_newline_is_only_whitespace_around_a_point(tool_env: dict[str, str]) -> None:
    # `hstamp "$(date +%s)"` style input: surrounding whitespace (a newline included) is dropped.
    assert parse_point("1320438841\n", at=NOW) == 1320438841.0


def test_a_date_is_read_in_the_zone_given_and_pinned_as_epoch_seconds() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    moment = datetime(2026, 11, 25, 12, 35, tzinfo=UTC).timestamp()
    assert parse_point("2026-11-25 13:35", zone=berlin) == moment
    assert pinned("2026-11-25  13:35", berlin) == str(int(moment))
    for same_everywhere in ("now", "3 hours ago", "1795613737"):
        assert pinned(same_everywhere, berlin) == same_everywhere
    with pytest.raises(ValueError):
        pinned("2026-13-45", berlin)
