"""Panel accounts by group: a viewer and a mail admin (neither staff nor superuser)."""

from __future__ import annotations

import pytest
from django.test import Client

from mailserver.core.permissions import ADMINS, VIEWERS
from tests.support import accounts


@pytest.fixture
def viewer_client(db, roots) -> Client:
    return accounts.member_client("viewer", VIEWERS)


@pytest.fixture
def mail_admin_client(db, roots) -> Client:
    return accounts.member_client("mailadmin", ADMINS)


@pytest.fixture
def member_client(db):
    """A client for a new account in ``group`` (None: in no group)."""
    return accounts.member_client
