"""The version a restore writes back is shown open when short and folded when long, with its length."""

from __future__ import annotations

import pytest

from mailserver.core.models import Change

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def roots(agent_in_process):
    """The file holds what the change wrote, so the page offers its restore."""
    agent_in_process.control("badmailfrom").write_text("spammer@example.com\n")
    return agent_in_process


def _change(before: str) -> Change:
    return Change.objects.create(
        username="admin", node="test", target="control/badmailfrom", action="write",
        before=before, after="spammer@example.com\n", result="applied",
    )  # fmt: skip


def test_a_long_version_is_folded_with_its_line_count(admin_client):
    before = "".join(f"sender{n}@example.net\n" for n in range(3000))

    html = admin_client.get(f"/changes/{_change(before).pk}/").content.decode()

    assert '<details class="mb-3" data-testid="restore-version">' in html  # closed
    assert "The version it writes back: 3000 lines" in html
    assert html.index('data-testid="restore-version"') < html.index('data-testid="restore-button"')


def test_a_short_version_is_shown_open(admin_client):
    change = _change("a@example.net\nb@example.net\n")

    html = admin_client.get(f"/changes/{change.pk}/").content.decode()

    assert '<details class="mb-3" data-testid="restore-version" open>' in html
    assert "The version it writes back: 2 lines" in html
