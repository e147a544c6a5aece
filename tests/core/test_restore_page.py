"""Restore this version, end to end: the change page, the agent's operation, the server's files, the log."""

from __future__ import annotations

import pytest

from mailserver.core.models import Change
from tests.support.mta_forms import post_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def roots(agent_in_process):
    """A page test: the agent's operations run in process (tests/conftest.py agent_in_process)."""
    return agent_in_process


def _saved(client, slug: str, target: str, **changes) -> Change:
    post_section(client, slug, **changes)
    return Change.objects.filter(target=target, result="applied").latest("id")


def _restore(client, change: Change, confirm: bool = True):
    data = {"confirm": "yes"} if confirm else {}
    return client.post(f"/changes/{change.pk}/restore/", data, follow=True)


def test_restores_a_control_file_and_logs_it_linked_to_the_original(admin_client, roots):
    change = _saved(admin_client, "inbound", "control/databytes", databytes="5000000")
    assert roots.control("databytes").read_text() == "5000000\n"
    detail = admin_client.get(f"/changes/{change.pk}/").content.decode()
    assert 'data-testid="restore-button"' in detail and "2000" in detail

    page = _restore(admin_client, change).content.decode()

    assert roots.control("databytes").read_text() == "2000\n"
    restored = Change.objects.get(restored_from=change)
    assert (restored.action, restored.result, restored.username) == ("restore", "applied", "admin")
    assert (restored.before, restored.after, restored.target) == ("5000000\n", "2000\n", "control/databytes")
    assert f"change {change.pk}" in page and "Restored the version from before" in page
    assert f"/changes/{restored.pk}/" in admin_client.get(f"/changes/{change.pk}/").content.decode()


def test_a_restore_can_itself_be_undone(admin_client, roots):
    change = _saved(admin_client, "inbound", "control/databytes", databytes="5000000")
    _restore(admin_client, change)
    _restore(admin_client, Change.objects.get(restored_from=change))
    assert roots.control("databytes").read_text() == "5000000\n"


def test_after_a_hand_edit_the_restore_is_refused_with_the_reason_and_nothing_written(admin_client, roots):
    change = _saved(admin_client, "inbound", "control/databytes", databytes="5000000")
    roots.control("databytes").write_text("7000\n")

    page = _restore(admin_client, change).content.decode()

    assert roots.control("databytes").read_text() == "7000\n"
    assert "Not restored" in page and "has changed since that change was made" in page
    refused = Change.objects.get(restored_from=change)
    assert (refused.action, refused.result) == ("restore", "conflict")


def test_an_earlier_version_qmail_would_misread_is_refused(admin_client, roots):
    roots.control("databytes").write_text("20x\n")  # qmail reads 20; the admin confirmed replacing it
    change = _saved(
        admin_client, "inbound", "control/databytes", databytes="5000000", replace_hand_edits=True
    )
    assert change.before == "20x\n"

    page = _restore(admin_client, change).content.decode()

    assert roots.control("databytes").read_text() == "5000000\n"
    assert "Not restored" in page and "is not valid" in page
    assert Change.objects.get(restored_from=change).result == "refused"


def test_restores_an_smtp_run_script(admin_client, roots):
    run = roots.service_dir("qmail-smtpd") / "run"
    original = run.read_text()
    change = _saved(admin_client, "rbl", "service qmail-smtpd/run", zones="zen.spamhaus.org")
    assert "zen.spamhaus.org" in run.read_text()
    _restore(admin_client, change)
    assert run.read_text() == original
    assert Change.objects.get(restored_from=change).result == "applied"


def test_nothing_is_restored_without_the_confirmation(admin_client, roots):
    change = _saved(admin_client, "inbound", "control/databytes", databytes="5000000")
    page = _restore(admin_client, change, confirm=False).content.decode()
    assert "tick the box" in page
    assert roots.control("databytes").read_text() == "5000000\n"
    assert not Change.objects.filter(restored_from=change).exists()


def test_only_applied_file_changes_offer_a_restore(admin_client, roots):
    service = Change.objects.create(
        username="admin", node="test", target="service qmail-send", action="svc -t", result="applied"
    )
    refused = Change.objects.create(
        username="admin", node="test", target="control/databytes", action="write", result="conflict"
    )
    assert 'data-testid="restore-box"' not in admin_client.get(f"/changes/{service.pk}/").content.decode()
    assert 'data-testid="restore-button"' not in admin_client.get(f"/changes/{refused.pk}/").content.decode()
    for change in (service, refused):
        assert "Not restored" in _restore(admin_client, change).content.decode()
    assert not Change.objects.filter(action="restore").exists()


def test_a_viewer_sees_no_restore_button_and_a_forged_restore_is_refused(admin_client, viewer_client, roots):
    change = _saved(admin_client, "inbound", "control/databytes", databytes="5000000")
    detail = viewer_client.get(f"/changes/{change.pk}/").content.decode()
    assert 'data-testid="restore-box"' in detail and 'data-testid="restore-button"' not in detail
    assert viewer_client.post(f"/changes/{change.pk}/restore/", {"confirm": "yes"}).status_code == 403
    assert roots.control("databytes").read_text() == "5000000\n"
    assert not Change.objects.filter(restored_from=change).exists()


def test_no_restore_is_offered_where_it_would_remove_a_file_that_must_exist(admin_client, roots):
    created = Change.objects.create(
        username="admin", node="test", target="service qmail-submission/run", action="write",
        before="", after="#!/bin/sh\n", result="applied",
    )  # fmt: skip
    me = Change.objects.create(
        username="admin", node="test", target="control/me", action="write",
        before="", after="mail.example.test\n", result="applied",
    )  # fmt: skip
    assert "does not remove services" in admin_client.get(f"/changes/{created.pk}/").content.decode()
    assert "cannot be removed" in admin_client.get(f"/changes/{me.pk}/").content.decode()
    assert "Not restored" in _restore(admin_client, me).content.decode()
    assert roots.control("me").read_text() == "mail.example.test\n"
    assert not Change.objects.filter(action="restore").exists()
