"""Spam Filtering page tests: the test server's SpamAssassin site directory, and real spamd.

The page tests drive the agent's operations in process (tests/conftest.py ``agent_in_process``);
what needs the real ``spamassassin --lint`` and a running spamd (a save) uses tests/filters'
``spamd_running`` through the signed agent worker.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailserver.qmail.paths import Roots
from tests.filters.conftest import fresh_site, spamd_running  # noqa: F401 (fixtures)


def site_of(roots: Roots) -> Path:
    """The test server's SpamAssassin site directory (made here: the test server has no SpamAssassin)."""
    site = roots.system / "etc/spamassassin"
    site.mkdir(parents=True, exist_ok=True)
    return site


@pytest.fixture
def site(roots: Roots) -> Iterator[Path]:
    """The site directory, taken away afterwards if the test made it (other tests expect none)."""
    made = not (roots.system / "etc/spamassassin").exists()
    path = site_of(roots)
    yield path
    if made:
        shutil.rmtree(path)
    else:
        for leftover in [*path.glob("*.cf"), path / "nodeworx-imap-training"]:
            leftover.unlink(missing_ok=True)
