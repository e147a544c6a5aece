"""A fresh copy of the real qmail queue snapshot for each test that changes one."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailserver.qmail.queue import index
from mailserver.qmail.queue.layout import Layout, discover
from tests.support.queues import extract_snapshot


@pytest.fixture
def snapshot(tmp_path: Path) -> Layout:
    """The captured queue, extracted under a qmail root of its own (tmp_path/qmail/queue)."""
    root = tmp_path / "qmail"
    root.mkdir()
    layout = discover(extract_snapshot(root))
    index.forget(layout.root)
    return layout
