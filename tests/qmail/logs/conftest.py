"""Fixtures of the log-tool tests: the real qmail-send logs and the tools' environment."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from logs_support import NOW, SEND_LOG


@pytest.fixture
def send_log() -> Path:
    if not SEND_LOG.is_dir():
        pytest.skip(f"{SEND_LOG} is missing")
    return SEND_LOG


@pytest.fixture
def tool_env(send_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Environment for the console scripts, also applied to this process for in-process calls."""
    env = {
        "NODEWORX_QMAIL_SEND_LOG": str(send_log),
        "NODEWORX_QMAIL_ROOT": str(tmp_path / "qmail"),
        "NODEWORX_QMAIL_LOG_CACHE": str(tmp_path / "cache"),
        "NODEWORX_NOW": str(NOW),
        "TZ": "UTC",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    time.tzset()
    yield dict(os.environ, **env)
    monkeypatch.undo()
    time.tzset()
