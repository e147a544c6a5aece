"""The dashboard tests drive the agent's operations in process (see tests/conftest.py), on the
captured queue snapshot: Local 5, Remote 20, Todo 2, 27 messages."""

from __future__ import annotations

import pytest
from django.test import Client

from mailserver.core.permissions import VIEWERS
from mailserver.qmail.paths import Roots
from tests.support import accounts
from tests.support.queues import fresh_snapshot_queue


@pytest.fixture
def roots(agent_in_process: Roots) -> Roots:
    fresh_snapshot_queue(agent_in_process)  # whatever another test purged
    return agent_in_process


@pytest.fixture
def viewer_client(db, roots) -> Client:
    return accounts.member_client("viewer", VIEWERS)
