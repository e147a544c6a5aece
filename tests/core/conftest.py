"""Panel accounts by group: a viewer and a mail admin (neither staff nor superuser)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from mailserver.core.permissions import ADMINS, VIEWERS


def _member_client(username: str, group: str | None) -> Client:
    user = User.objects.create_user(username, f"{username}@example.test", "pw")
    if group:
        user.groups.add(Group.objects.get(name=group))  # made by migration 0003
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(db, roots) -> Client:
    return _member_client("viewer", VIEWERS)


@pytest.fixture
def mail_admin_client(db, roots) -> Client:
    return _member_client("mailadmin", ADMINS)


@pytest.fixture
def member_client(db):
    """A client for a new account in ``group`` (None: in no group)."""
    return _member_client
