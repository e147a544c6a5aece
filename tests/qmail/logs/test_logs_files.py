"""A multilog directory reads as one time-ordered sequence, and seeking is a binary search."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailserver.qmail.errors import InvalidValue, UnreadableFile
from mailserver.qmail.logs.files import LogDir, Position
from mailserver.qmail.logs.selection import select
from mailserver.qmail.logs.tai64n import encode, to_unix


def test_rotated_files_come_in_name_order_then_current(send_log: Path) -> None:
    log = LogDir(send_log)
    assert [f.name for f in log.files] == [
        "@400000006b06e40301404a24.s",
        "@400000006b06e4e10a2cf13c.s",
        "current",
    ]
    assert [f.finished for f in log.files] == [True, True, False]


def test_it_reads_every_byte_once_in_order(send_log: Path) -> None:
    log = LogDir(send_log)
    whole = b"".join((send_log / f.name).read_bytes() for f in log.files)
    assert b"".join(log.chunks(log.start, log.end, block=4096)) == whole
    backwards = [chunk for _, chunk in log.chunks_backward(log.end, block=4096)]
    assert b"".join(reversed(backwards)) == whole


def test_seek_finds_the_first_line_at_or_after_a_moment(send_log: Path) -> None:
    log = LogDir(send_log)
    lines: list[tuple[Position, bytes]] = []
    for index, f in enumerate(log.files):
        offset = 0
        for line in (send_log / f.name).read_bytes().splitlines(keepends=True):
            lines.append((Position(index, offset), line[1:25]))
            offset += len(line)
    first, last = to_unix(lines[0][1]), to_unix(lines[-1][1])
    moment = first - 5
    while moment < last + 5:  # every 3.7 s across the whole log, rotations included
        label = encode(moment)
        expected = next((pos for pos, stamp in lines if stamp >= label), log.end)
        got = log.seek(label)
        if got.file < len(log.files) and got.offset == log.files[got.file].size:
            got = Position(got.file + 1, 0)
        assert got == expected, moment
        moment += 3.7


def test_a_line_still_being_written_is_left_out(send_log: Path, tmp_path: Path) -> None:
    copy = tmp_path / "send"
    shutil.copytree(send_log, copy)
    (copy / "current").chmod(0o644)
    with (copy / "current").open("ab") as handle:
        handle.write(b"@400000006b06e5821fb4d04c status: local 0/10 rem")
    log = LogDir(copy)
    data = b"".join(log.chunks(log.start, log.end))
    assert data.endswith(b"status: local 0/10 remote 0/20\n")
    assert log.last_label() == b"400000006b06e5821fb4d04c"


def test_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such log directory"):
        LogDir(tmp_path / "nope")


def test_an_empty_directory_has_no_lines(tmp_path: Path) -> None:
    log = LogDir(tmp_path)
    assert log.first_label() is None and log.last_label() is None
    assert list(log.lines()) == []


def test_a_rotation_while_reading_changes_nothing_already_opened(send_log: Path, tmp_path: Path) -> None:
    copy = tmp_path / "send"
    shutil.copytree(send_log, copy)
    for path in copy.iterdir():
        path.chmod(0o644)
    log = LogDir(copy)
    before = b"".join(log.chunks(log.start, log.end))
    # multilog rotates current and deletes the oldest file while we are still reading
    (copy / "current").rename(copy / "@400000006b06e5821fb4d04d.s")
    (copy / "current").write_bytes(b"@400000006b06e5821fb4d04e status: local 0/10 remote 0/20\n")
    (copy / "@400000006b06e40301404a24.s").unlink()
    assert b"".join(log.chunks(log.start, log.end)) == before
    assert LogDir(copy).files[-1].size == 57  # the new current


NEW_LINE = b"@400000006b06e5821fb4d04e status: local 0/10 remote 0/20\n"


def writable_copy(send_log: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "send"
    shutil.copytree(send_log, copy)
    for path in copy.iterdir():
        path.chmod(0o644)
    return copy


def rotate(copy: Path) -> None:
    """What multilog does at its size limit: current becomes @<now>.s and a new current starts."""
    (copy / "current").rename(copy / "@400000006b06e5821fb4d04d.s")
    (copy / "current").write_bytes(NEW_LINE)


@pytest.mark.parametrize("when", ["after the listing", "before the listing"])
def test_a_rotation_while_opening_loses_no_line_and_reads_none_twice(
    send_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    copy = writable_copy(send_log, tmp_path)
    whole = b"".join((copy / f.name).read_bytes() for f in LogDir(copy).files)
    listing = Path.iterdir  # what LogDir lists the directory with
    raced: list[Path] = []

    def racing(path: Path) -> Iterator[Path]:
        if path != copy or raced:
            return listing(path)
        raced.append(path)
        if when == "before the listing":  # the listing shows the rotated file: same inode as current
            rotate(path)
            return listing(path)
        names = list(listing(path))  # the listing misses the file current is about to become
        rotate(path)
        return iter(names)

    monkeypatch.setattr(Path, "iterdir", racing)
    log = LogDir(copy)
    data = b"".join(log.chunks(log.start, log.end))
    assert data == whole or data == whole + NEW_LINE, "a line was lost or read twice"
    assert raced and data.count(b"\n") == len(data.splitlines())


def test_seeking_past_any_label_finds_the_end_and_a_bad_label_is_an_error(send_log: Path) -> None:
    log = LogDir(send_log)
    assert log.seek(encode(2e19)) == log.end  # the label of 2e19 is the last one there is
    assert log.seek(encode(float("inf"))) == log.end
    assert log.seek(encode(-1e30)) == log.start
    with pytest.raises(InvalidValue, match="not a TAI64N label"):
        log.seek(b"1" * 30)


def test_a_selection_ending_beyond_the_labels_reads_to_the_end(
    send_log: Path, tool_env: dict[str, str]
) -> None:
    whole = b"".join(select(send_log, 1795611600.0).chunks())
    assert b"".join(select(send_log, 1795611600.0, 2e19).chunks()) == whole


# --- what the log user can put in its own directory: never blocks, never read through ------

SECRET_LINE = b"@400000006b06e5821fb4d04f root-only secret line\n"


def open_within(seconds: float, path: Path) -> LogDir | BaseException | None:
    result: list[LogDir | BaseException] = []

    def run() -> None:
        try:
            result.append(LogDir(path))
        except BaseException as exc:
            result.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return result[0] if result else None


def test_a_fifo_as_current_is_left_out_without_blocking(send_log: Path, tmp_path: Path) -> None:
    copy = writable_copy(send_log, tmp_path)
    (copy / "current").unlink()
    os.mkfifo(copy / "current")
    log = open_within(3, copy)
    if log is None:  # a blocked open: let it go before failing
        os.close(os.open(copy / "current", os.O_WRONLY | os.O_NONBLOCK))
    assert isinstance(log, LogDir), f"LogDir blocked or failed on a fifo: {log!r}"
    assert [f.name for f in log.files] == ["@400000006b06e40301404a24.s", "@400000006b06e4e10a2cf13c.s"]
    assert len(log.skipped) == 1 and "current is not a regular file" in log.skipped[0]


def test_links_in_the_log_directory_are_never_read(send_log: Path, tmp_path: Path) -> None:
    copy = writable_copy(send_log, tmp_path)
    secret = tmp_path / "root-only"
    secret.write_bytes(SECRET_LINE)
    secret.chmod(0o600)
    (copy / "current").unlink()
    (copy / "current").symlink_to(secret)
    (copy / "@400000006b06e5821fb4d04d.s").symlink_to(secret)
    log = LogDir(copy)
    assert b"secret" not in b"".join(log.chunks(log.start, log.end))
    assert [f.name for f in log.files] == ["@400000006b06e40301404a24.s", "@400000006b06e4e10a2cf13c.s"]
    assert sorted(log.skipped) == sorted(
        f"{copy / name} is a symbolic link to {secret}; the panel neither reads nor writes through links. "
        "Change it by hand on the server."
        for name in ("current", "@400000006b06e5821fb4d04d.s")
    )
    assert any("symbolic link" in w for w in select(copy).warnings)


def test_a_linked_log_directory_is_refused(send_log: Path, tmp_path: Path) -> None:
    link = tmp_path / "send"
    link.symlink_to(send_log)
    with pytest.raises(UnreadableFile, match="symbolic link"):
        LogDir(link)
