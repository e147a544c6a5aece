"""The agent's own nonce store: a nonce runs once, also across restarts and worker processes."""

from __future__ import annotations

import multiprocessing
import time

from mailserver.agent import nonces
from mailserver.agent.nonces import NonceStore


def test_a_nonce_is_new_once(tmp_path):
    store = NonceStore(tmp_path)
    assert store.first_use("a" * 32) is True
    assert store.first_use("a" * 32) is False
    assert store.first_use("b" * 32) is True


def test_a_restarted_agent_still_remembers_its_nonces(tmp_path):
    NonceStore(tmp_path).first_use("c" * 32)  # the first agent process, then gone
    assert NonceStore(tmp_path).first_use("c" * 32) is False


def test_the_store_is_private_to_root(tmp_path):
    NonceStore(tmp_path / "state")
    assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "state" / "nonces.sqlite3").stat().st_mode & 0o777 == 0o600


def _claim(directory, nonce, results):
    results.put(NonceStore(directory).first_use(nonce))


def test_of_two_processes_taking_the_same_nonce_exactly_one_wins(tmp_path):
    NonceStore(tmp_path)  # the schema exists before the race
    results: multiprocessing.Queue[bool] = multiprocessing.Queue()
    for attempt in range(20):
        nonce = f"{attempt:032x}"
        procs = [multiprocessing.Process(target=_claim, args=(tmp_path, nonce, results)) for _ in range(2)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(10)
        assert sorted([results.get(timeout=5), results.get(timeout=5)]) == [False, True]


def test_expired_nonces_are_cleared_out(tmp_path, monkeypatch):
    store = NonceStore(tmp_path)
    store.first_use("d" * 32)
    monkeypatch.setattr(time, "time", lambda: 10**10)  # long after NONCE_TTL
    store._inserts = 0  # the next insert sweeps
    store.first_use("e" * 32)
    count = store._db.execute("SELECT count(*) FROM nonce").fetchone()[0]
    assert count == 1
    assert nonces.NONCE_TTL > 300  # outlives the longest signed window
