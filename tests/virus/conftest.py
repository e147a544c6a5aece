"""The Virus Filtering page tests drive the agent's operations in process (see tests/conftest.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from mailserver.core.permissions import VIEWERS
from mailserver.qmail.paths import Roots


@pytest.fixture
def roots(agent_in_process: Roots) -> Roots:
    agent_in_process.control("simcontrol").unlink(missing_ok=True)  # not among the captured files
    return agent_in_process


@pytest.fixture
def viewer_client(db, roots: Roots) -> Client:
    user = User.objects.create_user("viewer", "viewer@example.test", "pw")
    user.groups.add(Group.objects.get(name=VIEWERS))
    client = Client()
    client.force_login(user)
    return client
