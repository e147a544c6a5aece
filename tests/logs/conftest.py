"""The Mail Logs page tests drive the agent's operations in process (see tests/conftest.py)."""

from __future__ import annotations

import pytest

from mailserver.qmail.paths import Roots


@pytest.fixture
def roots(agent_in_process: Roots) -> Roots:
    return agent_in_process
