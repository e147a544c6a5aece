"""The guide's fuzzy dates: one number and one unit, never mixed; epoch seconds; a fixed "now"."""

from __future__ import annotations

import pytest

from mailserver.qmail.logs.timespec import TimeSpecError, hstamp, now, parse_duration, parse_point

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


@pytest.mark.parametrize("text", ["", "hours", "3", "3 fortnights", "-3 hours", "yesterday"])
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
