"""Deleting messages: exactly their files, and never a half-deleted message qmail-send would act on."""

from __future__ import annotations

import os
import stat

import pytest

from mailserver.qmail.queue import index
from mailserver.qmail.queue.layout import KINDS
from mailserver.qmail.queue.removal import ORDER, RemovalFailed, remove_messages
from tests.support.queues import tree


def files_of(layout, msg_id) -> set[str]:
    return {kind for kind in KINDS if os.path.lexists(layout.path(kind, msg_id))}


def test_every_file_of_the_messages_and_nothing_else(snapshot):
    before = tree(snapshot.root)
    removed = remove_messages(snapshot, [1466748, 1466767, 1466831])
    after = tree(snapshot.root)
    gone = set(before) - set(after)
    assert gone == {
        "mess/15/1466748", "info/15/1466748", "remote/15/1466748", "bounce/1466748",
        "mess/11/1466767", "todo/1466767", "intd/1466767",
        "mess/6/1466831", "info/6/1466831", "local/6/1466831",
    }  # fmt: skip
    assert (removed.messages, removed.files) == ([1466748, 1466767, 1466831], 10)
    files_left = {path: entry for path, entry in after.items() if stat.S_ISREG(entry[0])}
    assert files_left == {path: before[path] for path in files_left}  # every other file untouched
    counts = index.index_for(snapshot).counts()
    assert (counts.messages, counts.unprocessed, counts.bouncing) == (24, 1, 3)


def test_a_number_no_longer_in_the_queue_is_reported_not_an_error(snapshot):
    removed = remove_messages(snapshot, [123456789])
    assert (removed.messages, removed.absent) == ([], [123456789])


def _whole_or_invisible(present: set[str]) -> bool:
    """What qmail-send would do with a message's remaining files: nothing, or carry on as before.

    It knows a message by its info file (preprocessed) or its todo file (to preprocess): a message
    with neither is invisible to it. One with an info file must still have every other file.
    """
    if "todo" in present:
        return present >= {"todo", "mess"}
    if "info" in present:
        return present == {"mess", "info", "local", "remote", "bounce"}
    return True


@pytest.mark.parametrize("obstacle", ORDER)
def test_a_removal_stopped_at_any_file_leaves_a_message_qmail_send_ignores_or_keeps_whole(snapshot, obstacle):
    msg_id = 1466748  # mess, info, remote and bounce; a local file, and intd and todo too, as when
    # qmail-send was interrupted while preprocessing it: all seven files
    snapshot.path("local", msg_id).write_bytes(b"Tcarol@example.test\0")
    snapshot.path("intd", msg_id).write_bytes(b"u0\0p1\0Falice@example.test\0Tclient2@deferred.example.org\0")
    os.link(snapshot.path("intd", msg_id), snapshot.path("todo", msg_id))
    path = snapshot.path(obstacle, msg_id)
    path.unlink()
    path.mkdir()  # unlink() of a directory fails: the removal stops here
    (path / "x").write_text("")
    with pytest.raises(RemovalFailed) as failed:
        remove_messages(snapshot, [1466718, msg_id, 1466719])
    assert snapshot.relative(obstacle, msg_id) in str(failed.value)
    assert failed.value.removed.messages == [1466718]  # the one before; the one after is untouched
    assert files_of(snapshot, 1466719) == {"mess", "info", "remote"}
    left = files_of(snapshot, msg_id)  # the obstacle counts as still there
    assert left == {obstacle, *ORDER[ORDER.index(obstacle) + 1 :]}
    assert _whole_or_invisible(left)
    assert "mess" in left  # the number stays taken until the very last file


def test_a_big_removal_runs_side_by_side_and_still_stops_cleanly(tmp_path):
    """Hundreds of messages go in parallel; after a failure no message is begun, so each one is
    wholly deleted or untouched, but for the one that failed."""
    from mailserver.qmail.queue import install
    from mailserver.qmail.queue.install import Owners
    from mailserver.qmail.queue.layout import discover
    from mailserver.qmail.queue.records import Recipient
    from mailserver.qmail.queue.removal import SERIAL_BELOW
    from mailserver.qmail.queue.writer import Draft, write

    owners = Owners(1005, 1007, 1006, 1002)
    layout = discover(install.create_queue(tmp_path / "queue", 23, owners))
    draft = Draft(
        b"Received: x\n\nbody\n", "a@example.test", 1.0e9, remote=(Recipient("b@example.org", False),)
    )
    ids = [write(layout, draft, owners) for _ in range(SERIAL_BELOW + 300)]
    obstacle = layout.path("remote", ids[250])
    obstacle.unlink()
    obstacle.mkdir()
    (obstacle / "x").write_text("")
    with pytest.raises(RemovalFailed) as failed:
        remove_messages(layout, ids)
    states = {msg_id: files_of(layout, msg_id) for msg_id in ids}
    assert states[ids[250]] == {"remote", "mess"}  # info gone: invisible; mess keeps the number
    others = [state for msg_id, state in states.items() if msg_id != ids[250]]
    assert all(state in (set(), {"mess", "info", "remote"}) for state in others)
    assert len(failed.value.removed.messages) == sum(state == set() for state in others)
    assert "were not touched" in str(failed.value)
