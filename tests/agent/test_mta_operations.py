"""The agent's MTA operations through the real broker and the real signed worker."""

from __future__ import annotations

import fcntl
import json
import os
import pwd
import stat
import threading
import time
from pathlib import Path

import pytest

from mailserver.core import agent
from mailserver.qmail import atomic, doublebounce
from mailserver.qmail.errors import QmailError

pytestmark = pytest.mark.integration


def test_reads_the_real_control_files(roots):
    state = agent.call("agent.mta.read_state")
    assert state["controls"]["databytes"]["value"] == 2000
    assert state["controls"]["me"]["value"] == "mail.example.test"
    assert state["controls"]["badmailfrom"]["value"] == ["spammer@bad.example.test", "@spam.example.test"]
    assert state["controls"]["timeoutsmtpd"]["exists"] is False  # default applies


def test_writes_a_control_file_atomically_keeping_mode(roots):
    path = roots.control("databytes")
    path.chmod(0o640)
    sha = atomic.read_state(path).sha256
    files = {"databytes": {"value": "5000000", "expect": sha}}
    data = agent.call("agent.mta.write_controls", {"files": files})
    assert path.read_bytes() == b"5000000\n"
    assert path.stat().st_mode & 0o777 == 0o640
    assert data["changes"] == [
        {"target": "control/databytes", "action": "write", "before": "2000\n", "after": "5000000\n"}
    ]
    assert data["state"]["controls"]["databytes"]["value"] == 5000000


def test_refuses_a_value_qmail_would_misread_and_writes_nothing(roots):
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.mta.write_controls", {"files": {"databytes": {"value": "20x"}}})
    assert refused.value.field == "databytes"
    assert roots.control("databytes").read_bytes() == b"2000\n"


def test_refuses_to_overwrite_a_hand_edit(roots):
    seen = atomic.read_state(roots.control("databytes")).sha256
    roots.control("databytes").write_text("3000\n")  # an admin edits the file by hand meanwhile
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.mta.write_controls", {"files": {"databytes": {"value": "5000", "expect": seen}}})
    assert refused.value.kind == "conflict"
    assert roots.control("databytes").read_text() == "3000\n"


def test_a_failed_file_puts_back_the_ones_already_written(roots):
    me = atomic.read_state(roots.control("me")).sha256
    with pytest.raises(agent.AgentRefused):
        agent.call(
            "agent.mta.write_controls",
            {
                "files": {
                    "me": {"value": "mx.example.test", "expect": me},
                    "databytes": {
                        "value": "1000",
                        "expect": "0" * 64,
                    },  # stale: conflicts after "me" was written
                }
            },
        )
    assert roots.control("me").read_text() == "mail.example.test\n"
    assert roots.control("databytes").read_text() == "2000\n"


def test_unknown_control_names_are_refused(roots):
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.mta.write_controls", {"files": {"../../etc/passwd": {"value": "x"}}})
    assert refused.value.kind == "invalid"


def test_an_unchanged_file_is_not_rewritten(roots):
    path = roots.control("me")
    os.utime(path, (1_000_000_000, 1_000_000_000))  # long before any service started
    inode = path.stat().st_ino
    sha = atomic.read_state(path).sha256
    # Normalised to the very bytes the file holds: nothing to write, no restart to ask for.
    data = agent.call(
        "agent.mta.write_controls", {"files": {"me": {"value": "MAIL.example.test", "expect": sha}}}
    )
    assert data["changes"] == []
    assert (path.stat().st_mtime, path.stat().st_ino) == (1_000_000_000, inode)


def test_an_unchanged_file_still_refuses_a_stale_view(roots):
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call(
            "agent.mta.write_controls",
            {"files": {"me": {"value": "mail.example.test", "expect": "0" * 64}}},
        )
    assert refused.value.kind == "conflict"


def test_a_removed_file_comes_back_with_its_mode_and_owner(roots):
    path = roots.control("databytes")
    nobody = pwd.getpwnam("nobody")
    os.chown(path, nobody.pw_uid, nobody.pw_gid)
    path.chmod(0o640)
    seen = atomic.read_state(path).sha256
    with pytest.raises(agent.AgentRefused):
        agent.call(
            "agent.mta.write_controls",
            {
                "files": {
                    "databytes": {"value": None, "expect": seen},  # removed first...
                    "me": {"value": "mx.example.test", "expect": "0" * 64},  # ...then this conflicts
                }
            },
        )
    st = path.stat()
    assert path.read_text() == "2000\n"
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o640, nobody.pw_uid, nobody.pw_gid)


def test_writes_wait_for_the_agent_lock(roots):
    lock = roots.qmail / ".nodeworx-agent.lock"
    lock.unlink(missing_ok=True)
    agent.call("agent.mta.write_controls", {"files": {"databytes": {"value": "3000"}}})
    assert stat.S_IMODE(lock.lstat().st_mode) == 0o600  # created by the first write, root's only

    done: dict[str, object] = {}

    def save() -> None:
        try:
            done["data"] = agent.call("agent.mta.write_controls", {"files": {"databytes": {"value": "4000"}}})
        except agent.AgentError as exc:  # pragma: no cover - shown by the assertion below
            done["error"] = exc

    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another save holds the lock (the worker runs 2 processes)
        worker = threading.Thread(target=save, daemon=True)
        worker.start()
        worker.join(1.5)
        assert worker.is_alive(), f"the save did not wait for the lock: {done}"
        assert roots.control("databytes").read_text() == "3000\n"
    finally:
        os.close(fd)
    worker.join(10)
    assert "data" in done, done
    assert roots.control("databytes").read_text() == "4000\n"


# --- reading files a less privileged user can put in place ---------------------------------


def _read_in_thread(path: Path) -> tuple[BaseException | atomic.FileState | None, bool]:
    """atomic.read_state(path) with a deadline, so a hanging read fails the test instead of hanging it."""
    result: list[BaseException | atomic.FileState] = []

    def read() -> None:
        try:
            result.append(atomic.read_state(path))
        except BaseException as exc:
            result.append(exc)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(3)
    return (result[0] if result else None), thread.is_alive()


def test_read_state_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / ".qmail-doublebounce-discard"
    os.mkfifo(fifo)
    outcome, hung = _read_in_thread(fifo)
    if hung:  # unblock the reader (a writer end opened) so the thread ends
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert not hung, "read_state blocked on a fifo"
    assert isinstance(outcome, QmailError)
    assert "not a regular file" in str(outcome)


def test_read_state_refuses_a_link_to_a_device(tmp_path):
    link = tmp_path / "databytes"
    link.symlink_to("/dev/zero")
    outcome, hung = _read_in_thread(link)
    assert not hung
    assert isinstance(outcome, QmailError)


def test_read_state_refuses_a_huge_file_and_does_not_read_through_links(tmp_path):
    huge = tmp_path / "huge"
    huge.write_bytes(b"x" * (atomic.MAX_SIZE + 1))
    with pytest.raises(QmailError, match="larger than"):
        atomic.read_state(huge)
    exact = tmp_path / "exact"
    exact.write_bytes(b"y" * atomic.MAX_SIZE)
    assert len(atomic.read_state(exact).content) == atomic.MAX_SIZE
    link = tmp_path / "link"
    link.symlink_to(exact)  # shown as a link by the page, never read through
    with pytest.raises(QmailError, match="symbolic link"):
        atomic.read_state(link)


def test_a_fifo_as_the_discard_alias_does_not_hang_the_page(roots):
    alias = roots.alias(doublebounce.DISCARD_ALIAS)
    os.mkfifo(alias)  # ~alias belongs to the alias user, who could do this
    try:
        state = agent.call("agent.mta.read_state")
    finally:
        alias.unlink()
    assert state["double_bounce"]["discarding"] is False


# --- links, special files and sizes: shown as such, never read or written through ----------


@pytest.fixture
def root_only_file(tmp_path):
    secret = tmp_path / "shadow"
    secret.write_bytes(b"root:$6$secret-hash:19000:0:99999:7:::\n")
    secret.chmod(0o600)
    return secret


def test_a_symlinked_control_file_is_shown_as_a_link_and_not_read(roots, root_only_file):
    roots.control("badmailfrom").unlink()
    roots.control("badmailfrom").symlink_to(root_only_file)
    state = agent.call("agent.mta.read_state")
    linked = state["controls"]["badmailfrom"]
    assert linked["link"] == str(root_only_file)
    assert (linked["exists"], linked["value"], linked["canonical"], linked["sha256"]) == (
        True,
        None,
        False,
        None,
    )
    assert "symbolic link" in linked["note"]
    assert "secret-hash" not in json.dumps(state)
    assert state["controls"]["databytes"]["value"] == 2000  # the rest of the page still reads


def test_a_write_to_a_symlinked_control_file_is_refused_beside_its_field(roots, root_only_file):
    roots.control("badmailfrom").unlink()
    roots.control("badmailfrom").symlink_to(root_only_file)
    before = root_only_file.read_bytes()
    for expect in ({}, {"expect": None}):
        with pytest.raises(agent.AgentRefused) as refused:
            agent.call(
                "agent.mta.write_controls",
                {
                    "files": {"badmailfrom": {"value": "x@spam.example.test", **expect}},
                    "replace_hand_edits": True,
                },
            )
        assert refused.value.field == "badmailfrom"
        assert "symbolic link" in str(refused.value)
    assert roots.control("badmailfrom").is_symlink()
    assert root_only_file.read_bytes() == before


def test_a_control_file_over_the_size_limit_keeps_the_page_working(roots):
    roots.control("badrcptto").write_bytes(b"@big\\.example$\n" * (atomic.MAX_SIZE // 15 + 1))
    state = agent.call("agent.mta.read_state")
    big = state["controls"]["badrcptto"]
    assert (big["exists"], big["value"], big["canonical"]) == (True, None, False)
    assert "larger than" in big["note"]
    assert state["controls"]["me"]["value"] == "mail.example.test"
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call(
            "agent.mta.write_controls",
            {"files": {"badrcptto": {"value": "x@example.test"}}, "replace_hand_edits": True},
        )
    assert (refused.value.field, refused.value.kind) == ("badrcptto", "invalid")


def test_a_value_over_the_size_limit_is_refused_beside_its_field_and_not_written(roots):
    before = roots.control("badmailfrom").read_bytes()
    entries = [f"user{n:06d}@a-rather-long-domain-name.example.test" for n in range(25_000)]  # ~1.2 MiB
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.mta.write_controls", {"files": {"badmailfrom": {"value": entries}}})
    assert (refused.value.field, refused.value.kind) == ("badmailfrom", "invalid")
    assert "1 MiB" in str(refused.value)
    assert roots.control("badmailfrom").read_bytes() == before
    assert agent.call("agent.mta.read_state")["controls"]["badmailfrom"]["canonical"] is True


@pytest.mark.parametrize(
    ("entry", "why"), [(".com", "every host ending in .com"), ("com", "that is a top-level domain")]
)
def test_rcpthosts_naming_a_whole_top_level_domain_is_refused_beside_its_field(roots, entry, why):
    before = roots.control("rcpthosts").read_bytes()
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.mta.write_controls", {"files": {"rcpthosts": {"value": f"example.test\n{entry}"}}})
    assert (refused.value.kind, refused.value.field) == ("invalid", "rcpthosts")
    assert why in str(refused.value)
    assert roots.control("rcpthosts").read_bytes() == before


@pytest.mark.parametrize(
    ("pattern", "why"), [("x{1,32767}", "use at most 255"), ("(($)*){1,50}", "too complex")]
)
def test_a_badrcptto_pattern_that_would_exhaust_the_agent_is_refused_beside_its_field(roots, pattern, why):
    before = atomic.read_state(roots.control("badrcptto"))
    began = time.monotonic()
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.mta.write_controls", {"files": {"badrcptto": {"value": pattern}}})
    assert time.monotonic() - began < 8  # x{1,32767} took 7.8 s and 4 GiB inside the agent
    assert (refused.value.kind, refused.value.field) == ("invalid", "badrcptto")
    assert why in str(refused.value)
    assert atomic.read_state(roots.control("badrcptto")) == before


def test_a_link_planted_as_the_discard_alias_is_neither_read_nor_written_through(roots, root_only_file):
    alias = roots.alias(doublebounce.DISCARD_ALIAS)
    alias.symlink_to(root_only_file)  # ~alias belongs to the alias user, who could do this
    before = root_only_file.read_bytes()
    doublebounceto = atomic.read_state(roots.control("doublebounceto"))
    try:
        assert agent.call("agent.mta.read_state")["double_bounce"]["discarding"] is False
        with pytest.raises(agent.AgentRefused) as refused:
            files = {"doublebounceto": {"value": "doublebounce-discard"}}
            agent.call("agent.mta.write_controls", {"files": files, "double_bounce_discard": True})
        assert (refused.value.kind, refused.value.field) == ("invalid", "double_bounce_discard")
        assert f"symbolic link to {root_only_file}" in str(refused.value)
        assert alias.is_symlink() and root_only_file.read_bytes() == before
        assert atomic.read_state(roots.control("doublebounceto")) == doublebounceto  # nothing written
    finally:
        alias.unlink()
