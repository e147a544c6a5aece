"""A selection is the period's lines plus the context its deliveries need, found by seeking."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailserver.qmail.logs.files import LogDir
from mailserver.qmail.logs.index import IndexCache, NewestIndex
from mailserver.qmail.logs.reports import show
from mailserver.qmail.logs.selection import select
from mailserver.qmail.logs.tai64n import to_unix


def test_any_period_shows_exactly_the_deliveries_a_whole_log_join_puts_in_it(
    send_log: Path, tool_env: dict[str, str]
) -> None:
    whole = list(show(select(send_log).chunks()))
    assert len(whole) == 613
    start = whole[0].when - 30
    checked = 0
    while start < whole[-1].when + 1:  # every 7.3 s: starts in both rotated files and in current
        for end in (None, start + 60, start + 600):
            got = list(show(select(send_log, start, end).chunks()))
            expected = [r for r in whole if r.when >= start and (end is None or r.when < end)]
            assert got == expected, (start, end)  # same recipients, senders, sizes, texts
            checked += 1
        start += 7.3
    assert checked > 150


def test_context_is_info_and_start_lines_from_before_the_period(
    send_log: Path, tool_env: dict[str, str]
) -> None:
    start = to_unix(b"400000006b06e4e10a000000")  # 13:36:23, amid the retries after a restart
    selection = select(send_log, start)
    assert selection.context, "the period begins with deliveries under way and old messages retried"
    for position, line in selection.context:
        assert position < selection.begin
        body = line[26:]
        assert body.startswith((b"info msg ", b"starting delivery ")), line
    assert not any(line[26:].startswith(b"new msg ") for _, line in selection.context)


def test_it_warns_when_the_period_reaches_past_the_oldest_log(
    send_log: Path, tool_env: dict[str, str]
) -> None:
    selection = select(send_log, 1795600000.0)
    assert selection.warnings == ["Warning: We only have logs dating back to 2026-11-25 13:33:02."]
    assert select(send_log, 1795613700.0).warnings == []


def test_an_empty_period_selects_nothing(send_log: Path, tool_env: dict[str, str]) -> None:
    assert b"".join(select(send_log, 1795615000.0).chunks()) == b""


def test_a_short_lookback_leaves_old_senders_unknown(send_log: Path, tool_env: dict[str, str]) -> None:
    start = 1795614000.0  # 13:40:00
    rows = list(show(select(send_log, start, lookback=1.0).chunks()))
    full = list(show(select(send_log, start).chunks()))
    assert [r.recipient for r in rows] == [r.recipient for r in full]
    assert any(r.sender is None for r in rows)
    assert all(r.sender is not None for r in full)


def test_the_header_tables_are_cached_and_reused(
    send_log: Path, tool_env: dict[str, str], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    start = 1795614000.0
    first = b"".join(select(send_log, start).chunks())
    tables = sorted(p.name for p in cache.glob("*/*"))
    assert tables == ["@400000006b06e40301404a24.s.idx", "@400000006b06e4e10a2cf13c.s.idx", "newest.idx"]
    for table in cache.glob("*/@*.idx"):
        table.write_bytes(b"garbage")  # a damaged table is rebuilt, never trusted
    assert b"".join(select(send_log, start).chunks()) == first
    fresh = IndexCache(send_log, root=tmp_path / "elsewhere")
    assert b"".join(select(send_log, start, cache=fresh).chunks()) == first


def test_a_wrong_but_well_formed_table_cannot_inject_lines(
    send_log: Path, tool_env: dict[str, str], tmp_path: Path
) -> None:
    start = 1795614000.0
    select(send_log, start)
    [newest] = (tmp_path / "cache").glob("*/newest.idx")
    table = NewestIndex.from_buffer(newest.read_bytes())
    assert table is not None
    wrong = NewestIndex(table.key, list(table.ids), list(table.files), [0] * len(table.ids))
    newest.write_bytes(wrong.to_bytes())  # every header "at offset 0", where a status line is
    selection = select(send_log, start)
    assert all(line[26:].startswith((b"info msg ", b"starting delivery ")) for _, line in selection.context)


@pytest.mark.parametrize("cache_setting", ["off", "/proc/cannot-write-here"])
def test_it_works_without_a_usable_cache(
    send_log: Path, tool_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, cache_setting: str
) -> None:
    monkeypatch.setenv("NODEWORX_QMAIL_LOG_CACHE", cache_setting)
    rows = list(show(select(send_log, 1795614000.0).chunks()))
    assert rows and all(r.sender is not None for r in rows)


def test_lines_gives_the_selection_line_by_line(send_log: Path, tool_env: dict[str, str]) -> None:
    selection = select(LogDir(send_log), 1795614000.0)
    assert b"\n".join(selection.lines()) + b"\n" == b"".join(selection.chunks())
