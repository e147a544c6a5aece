"""The change log is append-only: nobody rewrites or deletes a record, superusers included."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.test import Client

from mailserver.core.models import AppendOnlyError, Change

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser("root-admin", "root@example.test", "pw")


@pytest.fixture
def record(superuser) -> Change:
    return Change.objects.create(
        user=superuser,
        username=superuser.username,
        node="test",
        target="control/databytes",
        action="write",
        before="2000\n",
        after="5000\n",
        result="applied",
    )


def _as_stored(pk: int) -> tuple[str, str, str]:
    return Change.objects.filter(pk=pk).values_list("target", "after", "result").get()


def test_new_records_are_written(record):
    assert _as_stored(record.pk) == ("control/databytes", "5000\n", "applied")


def test_a_stored_record_cannot_be_saved_again(record):
    record.after = "9999\n"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.save(update_fields=["after"])
    assert _as_stored(record.pk)[1] == "5000\n"


def test_a_new_instance_with_an_existing_id_does_not_overwrite_the_record(record):
    forged = Change(pk=record.pk, username="x", node="test", target="control/me", result="applied")
    with pytest.raises(IntegrityError), transaction.atomic():
        forged.save()
    assert _as_stored(record.pk)[0] == "control/databytes"


def test_a_record_cannot_be_deleted(record):
    with pytest.raises(AppendOnlyError):
        record.delete()
    assert Change.objects.filter(pk=record.pk).exists()


def test_the_queryset_refuses_update_and_delete(record):
    with pytest.raises(AppendOnlyError):
        Change.objects.filter(pk=record.pk).update(after="9999\n")
    with pytest.raises(AppendOnlyError):
        Change.objects.all().delete()
    record.after = "9999\n"
    with pytest.raises(AppendOnlyError):
        Change.objects.bulk_update([record], ["after"])
    with pytest.raises(AppendOnlyError):
        Change.objects.bulk_create(
            [Change(pk=record.pk, target="control/me", result="applied")],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["target"],
        )
    assert _as_stored(record.pk) == ("control/databytes", "5000\n", "applied")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE core_change SET after = 'rewritten'",
        "DELETE FROM core_change",
        "INSERT OR REPLACE INTO core_change (id, created, username, node, target, action, before, after, "
        "result, message) VALUES (%(pk)s, '2000-01-01', 'x', 'test', 'control/me', 'write', '', 'rewritten', "
        "'applied', '')",
    ],
    ids=["update", "delete", "replace"],
)
def test_the_database_refuses_raw_sql_that_rewrites_the_log(record, statement):
    if "REPLACE" in statement and connection.vendor != "sqlite":
        pytest.skip("INSERT OR REPLACE is SQLite's")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.cursor().execute(statement % {"pk": record.pk})
    assert _as_stored(record.pk) == ("control/databytes", "5000\n", "applied")


def test_a_superuser_cannot_change_or_delete_a_record_in_the_admin(superuser, record):
    client = Client()
    client.force_login(superuser)
    base = f"/admin/core/change/{record.pk}"
    page = client.get(f"{base}/change/")
    assert page.status_code == 200  # shown, read-only
    assert b'name="_save"' not in page.content and b"deletelink" not in page.content
    assert client.post(f"{base}/change/", {"target": "control/me", "after": "x"}).status_code == 403
    assert client.get(f"{base}/delete/").status_code == 403
    assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    listing = client.get("/admin/core/change/")
    assert b"delete_selected" not in listing.content
    bulk = {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"}
    client.post("/admin/core/change/", bulk)
    assert client.get("/admin/core/change/add/").status_code == 403
    assert _as_stored(record.pk) == ("control/databytes", "5000\n", "applied")


def test_a_user_named_in_the_log_is_kept(superuser, record):
    # Deleting the user would set the record's user to NULL, i.e. rewrite it; deactivate instead.
    with pytest.raises(ProtectedError):
        superuser.delete()
    assert Change.objects.get(pk=record.pk).user == superuser


def test_no_permission_to_add_change_or_delete_records_exists():
    from django.contrib.auth.models import Permission

    core = Permission.objects.filter(content_type__app_label="core")
    codenames = set(core.values_list("codename", flat=True))
    assert codenames == {"view_change", "view_mailserver", "change_mailserver"}


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_whole_database_and_the_log_stays_append_only():
    # flush (run by the test suite between transactional tests) is the one way to empty the log.
    from django.core.management import call_command

    Change.objects.create(username="x", node="test", target="control/me", action="write", result="applied")
    call_command("flush", interactive=False, verbosity=0)
    assert not Change.objects.exists()
    again = Change.objects.create(username="y", node="test", target="control/me", result="applied")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.cursor().execute("DELETE FROM core_change")
    assert Change.objects.filter(pk=again.pk).exists()
