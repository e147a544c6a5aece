from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def admin_client(db, roots) -> Client:
    from django.contrib.auth.models import User

    user = User.objects.create_superuser("admin", "admin@example.test", "pw")
    client = Client()
    client.force_login(user)
    return client
