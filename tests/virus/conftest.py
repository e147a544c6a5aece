"""The Virus Filtering page tests drive the agent's operations in process (see tests/conftest.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from mailserver.core.permissions import VIEWERS
from mailserver.qmail.paths import Roots
from tests.support import accounts


@pytest.fixture
def roots(agent_in_process: Roots) -> Roots:
    agent_in_process.control("simcontrol").unlink(missing_ok=True)  # not among the captured files
    return agent_in_process


@pytest.fixture
def viewer_client(db, roots: Roots) -> Client:
    return accounts.member_client("viewer", VIEWERS)
