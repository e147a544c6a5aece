"""mailserver.qmail.atomic: atomic replace, owner/mode kept, conflicts, no leftovers."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mailserver.qmail import atomic
from mailserver.qmail.atomic import ANY, read_state, remove, sha256_hex, write_atomic
from mailserver.qmail.errors import Conflict, InvalidValue, UnreadableFile

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")


@pytest.fixture
def control(tmp_path: Path) -> Path:
    directory = tmp_path / "control"
    directory.mkdir()
    return directory


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_read_state_of_missing_file_has_no_hash(control: Path) -> None:
    state = read_state(control / "me")
    assert not state.exists
    assert state.sha256 is None
    assert state.content == b""


def test_read_state_reports_content_hash_and_metadata(control: Path) -> None:
    path = control / "me"
    path.write_bytes(b"mail.example.test\n")
    path.chmod(0o640)
    state = read_state(path)
    assert state.exists
    assert state.content == b"mail.example.test\n"
    assert state.sha256 == sha256_hex(b"mail.example.test\n")
    assert state.mode == 0o640
    assert state.uid == os.geteuid()
    assert state.mtime == path.stat().st_mtime


def test_writes_new_file_with_default_mode(control: Path) -> None:
    state = write_atomic(control / "databytes", b"2000\n", default_mode=0o640)
    assert (control / "databytes").read_bytes() == b"2000\n"
    assert stat.S_IMODE((control / "databytes").stat().st_mode) == 0o640
    assert state == read_state(control / "databytes")


@needs_root
def test_writes_new_file_with_default_owner(control: Path) -> None:
    write_atomic(control / "me", b"x.example\n", default_owner=(1234, 4321))
    st = (control / "me").stat()
    assert (st.st_uid, st.st_gid) == (1234, 4321)


@needs_root
def test_keeps_owner_and_mode_of_existing_file(control: Path) -> None:
    path = control / "me"
    path.write_bytes(b"old.example\n")
    os.chown(path, 1234, 2345)
    path.chmod(0o604)
    state = write_atomic(path, b"new.example\n", default_mode=0o600, default_owner=(0, 0))
    st = path.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 2345, 0o604)
    assert (state.uid, state.gid, state.mode) == (1234, 2345, 0o604)
    assert path.read_bytes() == b"new.example\n"


def test_replaces_the_inode_rather_than_rewriting_in_place(control: Path) -> None:
    # A reader that already opened the old file must keep seeing the old content.
    path = control / "locals"
    path.write_bytes(b"old\n")
    with path.open("rb") as reader:
        write_atomic(path, b"new\n")
        assert reader.read() == b"old\n"
    assert path.read_bytes() == b"new\n"


def test_leaves_no_temp_file_after_success(control: Path) -> None:
    write_atomic(control / "me", b"a.example\n")
    assert leftovers(control) == []


def test_temp_file_is_a_dot_file_in_the_same_directory(
    control: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str]] = []
    real_rename = os.rename

    def spy(src: str, dst: str) -> None:
        seen.append((str(src), str(dst)))
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", spy)
    write_atomic(control / "me", b"a.example\n")
    ((src, dst),) = seen
    assert Path(src).parent == control
    assert Path(src).name.startswith(".me.")
    assert dst == str(control / "me")


def test_conflict_when_file_changed_since_it_was_read(control: Path) -> None:
    path = control / "me"
    path.write_bytes(b"seen.example\n")
    seen = read_state(path).sha256
    path.write_bytes(b"hand-edited.example\n")
    with pytest.raises(Conflict, match="changed"):
        write_atomic(path, b"panel.example\n", expect_sha256=seen)
    assert path.read_bytes() == b"hand-edited.example\n"
    assert leftovers(control) == []


def test_conflict_when_expected_absent_but_file_exists(control: Path) -> None:
    (control / "smtproutes").write_bytes(b":relay.example\n")
    with pytest.raises(Conflict, match="created"):
        write_atomic(control / "smtproutes", b"", expect_sha256=None)


def test_conflict_when_expected_file_was_removed(control: Path) -> None:
    with pytest.raises(Conflict, match="removed"):
        write_atomic(control / "me", b"a.example\n", expect_sha256=sha256_hex(b"old\n"))
    assert not (control / "me").exists()


def test_writes_when_expectation_holds(control: Path) -> None:
    write_atomic(control / "me", b"one.example\n", expect_sha256=None)
    write_atomic(control / "me", b"two.example\n", expect_sha256=sha256_hex(b"one.example\n").upper())
    assert (control / "me").read_bytes() == b"two.example\n"


def test_any_skips_the_check(control: Path) -> None:
    (control / "me").write_bytes(b"whatever\n")
    write_atomic(control / "me", b"a.example\n", expect_sha256=ANY)
    assert (control / "me").read_bytes() == b"a.example\n"


def test_conflict_when_file_changes_while_the_temp_file_is_written(
    control: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = control / "me"
    path.write_bytes(b"old.example\n")
    expected = sha256_hex(b"old.example\n")
    real_fsync = os.fsync

    def hand_edit_meanwhile(fd: int) -> None:
        path.write_bytes(b"hand.example\n")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", hand_edit_meanwhile)
    with pytest.raises(Conflict):
        write_atomic(path, b"panel.example\n", expect_sha256=expected)
    assert path.read_bytes() == b"hand.example\n"
    assert leftovers(control) == []


def test_removes_temp_file_and_keeps_old_file_when_rename_fails(
    control: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = control / "me"
    path.write_bytes(b"old.example\n")

    def broken_rename(src: str, dst: str) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "rename", broken_rename)
    with pytest.raises(OSError, match="Input/output"):
        write_atomic(path, b"new.example\n")
    assert path.read_bytes() == b"old.example\n"
    assert leftovers(control) == []


def test_removes_temp_file_when_fsync_fails(control: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        write_atomic(control / "me", b"new.example\n")
    assert not (control / "me").exists()
    assert leftovers(control) == []


def test_fsyncs_the_file_then_the_directory_after_the_rename(
    control: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_rename = os.fsync, os.rename

    def fsync(fd: int) -> None:
        events.append("fsync dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def rename(src: str, dst: str) -> None:
        events.append("rename")
        real_rename(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "rename", rename)
    write_atomic(control / "me", b"a.example\n")
    assert events == ["fsync file", "rename", "fsync dir"]


def test_refuses_to_replace_a_symlink(control: Path) -> None:
    (control / "real.pem").write_bytes(b"cert")
    (control / "clientcert.pem").symlink_to("real.pem")
    with pytest.raises(Conflict, match="symbolic link"):
        write_atomic(control / "clientcert.pem", b"other")
    assert (control / "clientcert.pem").is_symlink()


def test_remove_deletes_and_fsyncs_the_directory(control: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = control / "databytes"
    path.write_bytes(b"2000\n")
    synced: list[bool] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    old = remove(path, expect_sha256=sha256_hex(b"2000\n"))
    assert not path.exists()
    assert old.content == b"2000\n"
    assert synced == [True]


def test_remove_of_missing_file_is_a_no_op(control: Path) -> None:
    assert not remove(control / "databytes").exists
    assert not remove(control / "databytes", expect_sha256=None).exists


def test_remove_refuses_when_file_changed(control: Path) -> None:
    path = control / "databytes"
    path.write_bytes(b"3000\n")
    with pytest.raises(Conflict):
        remove(path, expect_sha256=sha256_hex(b"2000\n"))
    assert path.exists()


def test_any_is_its_own_sentinel() -> None:
    assert repr(atomic.ANY) == "ANY"
    assert atomic.ANY is not None


def test_read_state_reports_a_symlink_without_reading_through_it(control: Path) -> None:
    secret = control.parent / "shadow"
    secret.write_bytes(b"root:secret\n")
    (control / "me").symlink_to(secret)
    with pytest.raises(UnreadableFile) as refused:
        read_state(control / "me")
    assert refused.value.target == str(secret)


def test_refuses_data_over_the_size_limit_before_writing_anything(control: Path) -> None:
    path = control / "badrcptto"
    path.write_bytes(b"@old.example$\n")
    with pytest.raises(InvalidValue, match="1048576 bytes"):
        write_atomic(path, b"x" * (atomic.MAX_SIZE + 1))
    assert path.read_bytes() == b"@old.example$\n"
    assert leftovers(control) == []
    write_atomic(path, b"y" * atomic.MAX_SIZE)  # the limit itself is allowed, and reads back
    assert len(read_state(path).content) == atomic.MAX_SIZE


def _temp_name(target: str, pid: int) -> str:
    return f".{target}.tmp-{pid}-0123abcd"


def test_removes_temp_files_that_dead_processes_left_behind(control: Path) -> None:
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)  # reaped: its pid names no process now
    stale = [_temp_name("me", dead), _temp_name("run", dead), _temp_name("tcp.smtp.cdb", 0)]
    alive = _temp_name("databytes", os.getppid())  # a writer still at work
    for name in [*stale, alive]:
        (control / name).write_bytes(b"half")
    for name in ("me", ".me.tmp-12-xyz", ".me.tmp", "notes.tmp-1-0123abcd"):
        (control / name).write_bytes(b"kept")
    removed = atomic.remove_stale_temps(control)
    assert sorted(removed) == sorted(stale)
    assert leftovers(control) == sorted([".me.tmp", ".me.tmp-12-xyz", alive])
    assert (control / "me").read_bytes() == b"kept" and (control / "notes.tmp-1-0123abcd").exists()


def test_a_temp_file_of_this_process_counts_as_stale(control: Path) -> None:
    # Called at start, before this process writes anything: a file with its pid is from a
    # previous process that happened to have the same pid (after a reboot, say).
    (control / _temp_name("me", os.getpid())).write_bytes(b"half")
    assert atomic.remove_stale_temps(control) == [_temp_name("me", os.getpid())]


def test_stale_temp_cleanup_removes_only_regular_files(control: Path) -> None:
    elsewhere = control.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "victim").write_bytes(b"keep me")
    (control / _temp_name("me", 0)).symlink_to(elsewhere / "victim")
    (control / _temp_name("locals", 0)).mkdir()
    assert atomic.remove_stale_temps(control) == []
    assert (elsewhere / "victim").read_bytes() == b"keep me"


def test_stale_temp_cleanup_of_a_missing_directory_removes_nothing(control: Path) -> None:
    assert atomic.remove_stale_temps(control / "absent") == []


# A writer that stops, as if killed, between writing its temp file and the rename: it says where
# it is, then waits to be killed with SIGKILL (nothing of Python's clean-up runs).
_KILLED_WRITER = """
import os, sys, time
from mailserver.qmail import atomic
real_fsync = os.fsync
def fsync_then_wait(fd):
    real_fsync(fd)
    print("written", flush=True)
    time.sleep(60)
os.fsync = fsync_then_wait
atomic.write_atomic(sys.argv[1], sys.argv[2].encode() * atomic.MAX_SIZE)
"""


def test_a_writer_killed_mid_save_leaves_the_whole_old_file_and_a_temp_the_cleanup_removes(
    control: Path,
) -> None:
    path = control / "badrcptto"
    write_atomic(path, b"o" * atomic.MAX_SIZE)
    for letter in "abc":
        writer = subprocess.Popen(
            [sys.executable, "-c", _KILLED_WRITER, str(path), letter], stdout=subprocess.PIPE, cwd=os.getcwd()
        )
        assert writer.stdout is not None
        assert writer.stdout.readline() == b"written\n"
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
        writer.stdout.close()
    assert path.read_bytes() == b"o" * atomic.MAX_SIZE  # never torn, never half replaced
    left = leftovers(control)
    assert len(left) == 3 and all(name.startswith(".badrcptto.tmp-") for name in left)
    assert sorted(atomic.remove_stale_temps(control)) == left
    assert leftovers(control) == []
