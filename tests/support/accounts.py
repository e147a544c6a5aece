"""Panel accounts for page tests: a logged-in client for a new user in one of the panel's groups."""

from __future__ import annotations

from django.test import Client


def member_client(username: str, group: str | None) -> Client:
    """A client logged in as a new account in ``group`` (None: in no group)."""
    from django.contrib.auth.models import Group, User  # the app registry is ready only once tests run

    user = User.objects.create_user(username, f"{username}@example.test", "pw")
    if group:
        user.groups.add(Group.objects.get(name=group))  # made by migration 0003
    client = Client()
    client.force_login(user)
    return client
