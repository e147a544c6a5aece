"""mailserver.qmail.serverfile: server files are read only when they are regular, unlinked and small."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from mailserver.qmail import serverfile
from mailserver.qmail.errors import UnreadableFile

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")


def within(seconds: float, read: Callable[[], object]) -> tuple[object, bool]:
    """``read()`` with a deadline, so a read that blocks fails the test instead of hanging it."""
    result: list[object] = []

    def run() -> None:
        try:
            result.append(read())
        except BaseException as exc:
            result.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return (result[0] if result else None), thread.is_alive()


def test_reads_a_regular_file_with_the_metadata_of_the_same_inode(tmp_path: Path) -> None:
    path = tmp_path / "me"
    path.write_bytes(b"mail.example.test\n")
    content, st = serverfile.read_regular(path)
    assert content == b"mail.example.test\n"
    assert (st.st_ino, stat.S_ISREG(st.st_mode)) == (path.stat().st_ino, True)


def test_a_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        serverfile.read_regular(tmp_path / "absent")


def test_a_symlink_is_reported_with_its_target_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "shadow"
    secret.write_bytes(b"root:secret\n")
    link = tmp_path / "me"
    link.symlink_to(secret)
    with pytest.raises(UnreadableFile) as refused:
        serverfile.read_regular(link)
    assert (refused.value.reason, refused.value.target) == ("link", str(secret))
    assert "symbolic link" in str(refused.value) and str(secret) in str(refused.value)
    assert "secret" not in str(refused.value).replace(str(secret), "")


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "current"
    os.mkfifo(fifo)
    outcome, hung = within(3, lambda: serverfile.read_regular(fifo))
    if hung:  # let the blocked reader go (open a writer end) so the thread ends
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert not hung, "read_regular blocked on a fifo"
    assert isinstance(outcome, UnreadableFile)
    assert outcome.reason == "special"


def test_a_fifo_swapped_in_after_the_check_does_not_block_the_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "current"
    path.write_bytes(b"line\n")
    real_stat = os.stat
    swapped: list[bool] = []

    def swap_after_stat(*args: object, **kwargs: object) -> os.stat_result:
        st = real_stat(*args, **kwargs)  # type: ignore[arg-type]
        if not swapped:
            swapped.append(True)
            path.unlink()
            os.mkfifo(path)
        return st

    monkeypatch.setattr(os, "stat", swap_after_stat)
    outcome, hung = within(3, lambda: serverfile.read_regular(path))
    if hung:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    assert swapped, "the swap did not happen: the test proves nothing"
    assert not hung, "the open blocked on a fifo swapped in after the check"
    assert isinstance(outcome, UnreadableFile)


@needs_root
def test_a_device_is_refused(tmp_path: Path) -> None:
    device = tmp_path / "databytes"
    os.mknod(device, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero: a read would never end
    outcome, hung = within(3, lambda: serverfile.read_regular(device))
    assert not hung
    assert isinstance(outcome, UnreadableFile) and outcome.reason == "special"


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="not a regular file"):
        serverfile.read_regular(tmp_path)


def test_a_file_over_the_limit_is_refused_and_one_at_the_limit_is_read(tmp_path: Path) -> None:
    huge = tmp_path / "badrcptto"
    huge.write_bytes(b"x" * (serverfile.MAX_SIZE + 1))
    with pytest.raises(UnreadableFile, match="larger than") as refused:
        serverfile.read_regular(huge)
    assert refused.value.reason == "too_large"
    exact = tmp_path / "badmailfrom"
    exact.write_bytes(b"y" * serverfile.MAX_SIZE)
    assert len(serverfile.read_regular(exact)[0]) == serverfile.MAX_SIZE
    assert serverfile.read_regular(huge, limit=serverfile.MAX_SIZE + 1)[0] == huge.read_bytes()


def test_reads_relative_to_a_directory_descriptor(tmp_path: Path) -> None:
    (tmp_path / "rcpthosts").write_bytes(b"example.test\n")
    (tmp_path / "link").symlink_to("rcpthosts")
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert serverfile.read_regular("rcpthosts", dir_fd=fd)[0] == b"example.test\n"
        with pytest.raises(UnreadableFile) as refused:
            serverfile.read_regular("link", dir_fd=fd)
    finally:
        os.close(fd)
    assert refused.value.target == "rcpthosts"


def test_an_opened_descriptor_blocks_normally_again(tmp_path: Path) -> None:
    path = tmp_path / "current"
    path.write_bytes(b"x\n")
    fd, st = serverfile.open_regular(path)
    try:
        assert os.get_blocking(fd)  # O_NONBLOCK only guarded the open
        assert st.st_size == 2
    finally:
        os.close(fd)


def test_read_optional_is_none_for_a_missing_file(tmp_path: Path) -> None:
    assert serverfile.read_optional(tmp_path / "queuelifetime") is None
    (tmp_path / "queuelifetime").write_bytes(b"3600\n")
    assert serverfile.read_optional(tmp_path / "queuelifetime") == b"3600\n"
