"""The agent's memory of the nonces it has run: a SQLite file of its own, not the broker.

Anyone who can write to Redis could delete nonces kept there and replay a captured
message while its deadline lasts. This store lives on the mail host, owned by root;
a nonce is kept for ``meta.NONCE_TTL``, longer than any message carrying it can be
fresh, so a replay always finds it. The PRIMARY KEY makes "record and say whether
it is new" one atomic INSERT, so of two copies taken by two worker processes at
once exactly one runs.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from .meta import NONCE_TTL

_SCHEMA = "CREATE TABLE IF NOT EXISTS nonce (nonce TEXT PRIMARY KEY, expires REAL NOT NULL) WITHOUT ROWID"


class NonceStore:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = directory / "nonces.sqlite3"
        # Created 0600 before SQLite opens it: the nonces are the agent's alone.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600))
        self._db = sqlite3.connect(path, timeout=10, isolation_level=None)
        # WAL with synchronous=NORMAL: a committed nonce survives the agent being killed,
        # which is what a replay after kill -9 would need; a power loss could lose the
        # last ones, but by the time the host is back their messages have expired.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._inserts = 0

    def first_use(self, nonce: str) -> bool:
        """Record ``nonce``; True only the first time it is seen within its lifetime."""
        now = time.time()
        if self._inserts % 100 == 0:
            self._db.execute("DELETE FROM nonce WHERE expires < ?", (now,))
        self._inserts += 1
        try:
            self._db.execute("INSERT INTO nonce VALUES (?, ?)", (nonce, now + NONCE_TTL))
        except sqlite3.IntegrityError:
            return False
        return True

    def close(self) -> None:
        self._db.close()
