"""Upgrading keeps every staff account's access: migration 0003 puts them in Mail admins."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from mailserver.core.permissions import ADMINS

BEFORE = [("core", "0002_permissions_and_restores")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_staff_accounts_from_before_the_upgrade_become_mail_admins():
    latest = [key for key in MigrationExecutor(connection).loader.graph.leaf_nodes() if key[0] == "core"]
    _migrate(BEFORE)
    try:
        staff = User.objects.create_user("old-staff", is_staff=True)
        plain = User.objects.create_user("old-user")
        boss = User.objects.create_superuser("old-root", "root@example.test", "pw")
    finally:
        _migrate(latest)
    assert list(User.objects.get(pk=staff.pk).groups.values_list("name", flat=True)) == [ADMINS]
    assert not User.objects.get(pk=plain.pk).groups.exists()
    assert not User.objects.get(pk=boss.pk).groups.exists()  # superusers need no group
    assert User.objects.get(pk=staff.pk).has_perm("core.change_mailserver")
