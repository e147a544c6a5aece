"""The log follower's saved state is JSON: a restarted follower goes on from it, and a state that
does not load (missing, cut short, an older agent's pickle, another version) is built again.

A state that did not load would go unnoticed in the index tests (building again gives the same
rows), so these tests watch whether the follower builds.
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest

from mailserver.qmail.logs.deliveries.follow import Follower, State
from mailserver.qmail.logs.deliveries.rows import ID, PAIRS, STATE_VERSION, RowJoiner, pair_key
from mailserver.qmail.logs.deliveries.store import Store


def log_lines(send_log: Path) -> list[bytes]:
    files = [*sorted(send_log.glob("@*.s")), send_log / "current"]
    return [line for path in files for line in path.read_bytes().splitlines()]


def shared(joiner: RowJoiner) -> int:
    """How many distinct message objects the open messages and attempts under way hold."""
    under_way = (m for m, _, _ in joiner.pending.values())
    held = [*joiner.open.values(), *under_way, *joiner.seam_messages.values()]
    return len({id(m) for m in held})


@pytest.mark.parametrize("seam", [False, True], ids=["from the start", "from the middle (a seam)"])
def test_a_joiner_saved_as_json_goes_on_as_if_it_had_never_stopped(send_log, seam):
    lines = log_lines(send_log)
    if seam:  # the parallel build's later shares start mid-log and keep what they cannot place
        lines = lines[len(lines) // 3 :]
    # Cut just after a delivery starts, past the middle: its result comes after the restart.
    cut = next(i for i in range(len(lines) // 2, len(lines)) if b" starting delivery " in lines[i - 1])
    whole = RowJoiner(seam=seam)
    whole.feed(lines)
    first = RowJoiner(seam=seam)
    first.feed(lines[:cut])
    assert first.open and first.pending  # messages and attempts under way at the cut are saved
    before = first.take()

    resumed = RowJoiner.from_json(json.loads(json.dumps(first.to_json())))

    # An attempt under way holds its open message itself: one object, as before the save.
    assert shared(resumed) == shared(first)
    assert any(m is resumed.open.get(m[ID]) for m, _, _ in resumed.pending.values())
    # ... and the entry of its recipient's last attempt, which its result completes.
    assert all(pair is m[PAIRS][pair_key(start)] for m, start, pair in resumed.pending.values())
    resumed.feed(lines[cut:])
    after = resumed.take()
    assert [b + a for b, a in zip(before, after, strict=True)] == list(whole.take())
    assert resumed.to_json() == whole.to_json()


def test_bytes_that_are_not_utf_8_survive_the_json_state():
    joiner = RowJoiner()
    sender = b"\xff\xfe caf\xe9 \x1b"
    joiner.feed([
        b"@400000006b06e40301404a24 new msg 42",
        b"@400000006b06e40301404a25 info msg 42: bytes 10 from <" + sender + b"> qp 7 uid 0",
        b"@400000006b06e40301404a26 starting delivery 1: msg 42 to remote x@example.test",
    ])  # fmt: skip
    resumed = RowJoiner.from_json(json.loads(json.dumps(joiner.to_json())))
    assert resumed.take() == joiner.take()
    assert resumed.running() == joiner.running() and sender in resumed.running()[0]


def _follower(live: Path, store_dir: Path) -> Follower:
    return Follower(live, Store(store_dir), workers=1)


def _watch_builds(follower: Follower, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    builds: list[int] = []
    build = follower.build

    def counted(*args: Any, **kwargs: Any) -> None:
        builds.append(1)
        build(*args, **kwargs)

    monkeypatch.setattr(follower, "build", counted)
    return builds


@pytest.fixture
def saved(send_log, tmp_path) -> tuple[Path, Path, Path]:
    """A follower that built the index of the captured log and saved its state: (log, index, state)."""
    live = tmp_path / "send"
    shutil.copytree(send_log, live)
    store_dir = tmp_path / "ix"
    store_dir.mkdir(mode=0o700)
    follower = _follower(live, store_dir)
    follower.start()
    follower._save_state()
    follower.close()
    manifest = Store(store_dir).manifest()
    assert manifest is not None and manifest.state
    return live, store_dir, store_dir / manifest.state


def test_a_restarted_follower_loads_its_json_state_and_reads_on(saved, monkeypatch):
    live, store_dir, state = saved
    assert json.loads(state.read_text())["joiner"]["version"] == STATE_VERSION
    follower = _follower(live, store_dir)
    builds = _watch_builds(follower, monkeypatch)
    follower.start()
    try:
        assert builds == []
        assert follower.current is not None and follower.current.pos == (live / "current").stat().st_size
        with open(live / "current", "ab") as handle:
            handle.write(b"@400000006b06e4e10a2cf13d new msg 77\n")
        follower.tick()
        assert follower.joiner is not None and 77 in follower.joiner.open  # read on from where it was
    finally:
        follower.close()


def _older_agents_pickle(path: Path) -> None:
    state = State.from_json(json.loads(path.read_text()))
    path.write_bytes(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))


def _another_version(path: Path) -> None:
    data = json.loads(path.read_text())
    data["joiner"]["version"] = 0
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(Path.unlink, id="missing"),
        pytest.param(lambda path: path.write_bytes(path.read_bytes()[:200]), id="cut short"),
        pytest.param(_older_agents_pickle, id="an older agent's pickle"),
        pytest.param(_another_version, id="another version"),
        pytest.param(lambda path: path.write_text('{"joiner": {}}'), id="not a state"),
    ],
)
def test_a_state_that_does_not_load_makes_the_follower_build_the_index_again(saved, monkeypatch, spoil):
    live, store_dir, state = saved
    spoil(state)
    follower = _follower(live, store_dir)
    builds = _watch_builds(follower, monkeypatch)
    follower.start()
    follower._save_state()
    follower.close()
    assert builds == [1]
    again = _follower(live, store_dir)  # and the state it saved then loads
    rebuilt = _watch_builds(again, monkeypatch)
    again.start()
    again.close()
    assert rebuilt == []
