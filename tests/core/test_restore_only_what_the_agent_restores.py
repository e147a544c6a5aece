"""A restore is offered only for the files the agent restores; another page's file says so instead of
offering a button whose every press the agent refuses."""

from __future__ import annotations

import pytest

from mailserver.core.models import Change

pytestmark = pytest.mark.django_db


@pytest.fixture
def roots(agent_in_process):
    """A page test: the agent's operations run in process (tests/conftest.py agent_in_process)."""
    return agent_in_process


@pytest.mark.parametrize(
    ("target", "where"),
    [
        ("control/simcontrol", "Change control/simcontrol on the page that wrote it."),
        ("service qmail-pop3d/run", "the SMTP run scripts (qmail-smtpd, qmail-submission)"),
    ],
)
def test_another_pages_file_is_not_offered_and_says_why(admin_client, roots, target, where):
    change = Change.objects.create(
        username="admin", node="test", target=target, action="write",
        before=":clam=no,spam=no\n", after=":clam=yes,spam=no\n", result="applied",
    )  # fmt: skip

    html = " ".join(admin_client.get(f"/changes/{change.pk}/").content.decode().split())

    assert 'data-testid="restore-button"' not in html and where in html
    refused = admin_client.post(
        f"/changes/{change.pk}/restore/", {"confirm": "yes"}, follow=True
    ).content.decode()
    assert "Not restored" in refused and not Change.objects.filter(restored_from=change).exists()
