"""The Mail Queue page tests drive the agent's operations in process (see tests/conftest.py) on the
test server's queue, the captured snapshot; a test that changes the queue puts the snapshot back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from mailserver.core.permissions import VIEWERS
from mailserver.qmail.paths import Roots
from tests.support import accounts
from tests.support.queues import snapshot_queue


@pytest.fixture
def roots(agent_in_process: Roots) -> Iterator[Roots]:
    with snapshot_queue(agent_in_process):
        yield agent_in_process


@pytest.fixture
def viewer_client(db, roots: Roots) -> Client:
    """A member of Mail viewers: sees every page, changes nothing."""
    return accounts.member_client("viewer", VIEWERS)
