"""The on-disk index cache: private directories, no writes through planted links, root's own place."""

from __future__ import annotations

import os
import stat
import threading
import zlib
from pathlib import Path

import pytest

from mailserver.qmail.logs import index
from mailserver.qmail.logs.reports import show
from mailserver.qmail.logs.selection import select

START = 1795614000.0  # 13:40:00: the selection needs headers from both rotated files
TABLES = ["@400000006b06e40301404a24.s.idx", "@400000006b06e4e10a2cf13c.s.idx", "newest.idx"]


def tag(send_log: Path) -> str:
    return f"{zlib.crc32(str(send_log.resolve()).encode()):08x}"


def selected(send_log: Path) -> bytes:
    data = b"".join(select(send_log, START).chunks())
    assert all(r.sender is not None for r in show([data]))  # the headers were found all the same
    return data


def test_the_cache_directories_are_created_private(send_log: Path, tool_env: dict[str, str]) -> None:
    cache = Path(tool_env["NODEWORX_QMAIL_LOG_CACHE"])
    selected(send_log)
    for directory in (cache, cache / tag(send_log)):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    tables = sorted((cache / tag(send_log)).iterdir())
    assert [t.name for t in tables] == TABLES  # no temporary file left behind
    assert all(stat.S_IMODE(t.stat().st_mode) == 0o600 for t in tables)


def test_a_directory_others_may_write_to_is_not_used(
    send_log: Path, tool_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    cache = Path(tool_env["NODEWORX_QMAIL_LOG_CACHE"])
    cache.mkdir()
    cache.chmod(0o777)
    data = selected(send_log)
    assert list(cache.iterdir()) == []
    warning = capsys.readouterr().err
    assert len(warning.splitlines()) == 1
    assert f"not caching log indexes in {cache}" in warning
    assert selected(send_log) == data
    assert capsys.readouterr().err == ""  # said once per process


def test_a_directory_owned_by_someone_else_is_not_used(
    send_log: Path,
    tool_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cache = Path(tool_env["NODEWORX_QMAIL_LOG_CACHE"])
    cache.mkdir(mode=0o700)
    (cache / tag(send_log)).mkdir(mode=0o700)
    monkeypatch.setattr(index.os, "geteuid", lambda: os.getuid() + 4242)  # we are not its owner
    selected(send_log)
    assert list((cache / tag(send_log)).iterdir()) == []
    assert "must be a directory owned by uid" in capsys.readouterr().err


def test_a_link_planted_where_a_table_is_written_is_not_followed(
    send_log: Path, tool_env: dict[str, str], tmp_path: Path
) -> None:
    cache = Path(tool_env["NODEWORX_QMAIL_LOG_CACHE"]) / tag(send_log)
    cache.mkdir(mode=0o700, parents=True)
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious\n")
    for name in TABLES:  # the names the cache used to write its temporary files under
        (cache / f".{name}.{os.getpid()}.tmp").symlink_to(victim)
    selected(send_log)
    assert victim.read_bytes() == b"precious\n"
    assert all((cache / name).is_file() and not (cache / name).is_symlink() for name in TABLES)


def test_a_table_that_is_a_link_is_not_read(send_log: Path, tool_env: dict[str, str], tmp_path: Path) -> None:
    data = selected(send_log)
    cache = Path(tool_env["NODEWORX_QMAIL_LOG_CACHE"]) / tag(send_log)
    elsewhere = tmp_path / "newest.idx"
    (cache / "newest.idx").rename(elsewhere)
    (cache / "newest.idx").symlink_to(elsewhere)
    assert index.IndexCache(send_log)._map("newest.idx") is None
    assert selected(send_log) == data


def test_a_fifo_in_place_of_a_table_is_not_waited_on(
    send_log: Path, tool_env: dict[str, str], tmp_path: Path
) -> None:
    data = selected(send_log)
    cache = Path(tool_env["NODEWORX_QMAIL_LOG_CACHE"]) / tag(send_log)
    (cache / "newest.idx").unlink()
    os.mkfifo(cache / "newest.idx")
    result: list[object] = []
    reader = threading.Thread(target=lambda: result.append(index.IndexCache(send_log)._map("newest.idx")))
    reader.start()
    reader.join(3)
    if reader.is_alive():
        os.close(os.open(cache / "newest.idx", os.O_WRONLY | os.O_NONBLOCK))
    assert result == [None], "the table reader blocked on a fifo"
    (cache / "newest.idx").unlink()
    assert selected(send_log) == data


def test_root_keeps_its_cache_under_the_server_root_not_in_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("NODEWORX_QMAIL_LOG_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home" / "someuser"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home" / "someuser" / ".cache"))
    monkeypatch.setattr(index.os, "geteuid", lambda: 0)
    monkeypatch.setenv("NODEWORX_SERVER_ROOT", str(tmp_path / "server"))
    assert index.cache_root() == tmp_path / "server" / "var/cache/nodeworx/qmail-logs"
    monkeypatch.delenv("NODEWORX_SERVER_ROOT")
    assert index.cache_root() == Path("/var/cache/nodeworx/qmail-logs")
    monkeypatch.setattr(index.os, "geteuid", lambda: 1000)  # anyone else: their own cache
    assert index.cache_root() == tmp_path / "home" / "someuser" / ".cache" / "nodeworx" / "qmail-logs"
