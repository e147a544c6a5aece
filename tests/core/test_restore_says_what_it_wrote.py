"""A restore says, before and after, what it writes and when that is in effect on the mail server."""

from __future__ import annotations

import pytest

from mailserver.core.models import Change
from tests.support.mta_forms import post_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def roots(agent_in_process):
    """A page test: the agent's operations run in process (tests/conftest.py agent_in_process)."""
    return agent_in_process


def _restore(client, change: Change) -> str:
    return client.post(f"/changes/{change.pk}/restore/", {"confirm": "yes"}, follow=True).content.decode()


def test_a_restore_that_needs_a_restart_says_so_before_and_after(admin_client, roots):
    roots.control("concurrencyremote").write_text("10\n")
    post_section(admin_client, "outbound", concurrencyremote="5")
    change = Change.objects.get(target="control/concurrencyremote", result="applied")
    when = "control/concurrencyremote takes effect when qmail-send restarts"

    offer = admin_client.get(f"/changes/{change.pk}/").content.decode()
    assert f'<span data-testid="restore-effect">{when}</span>' in offer

    done = _restore(admin_client, change)

    restored = Change.objects.get(restored_from=change)
    assert restored.message == f"Restored the version from before change {change.pk}; {when}."
    assert restored.message in done
    assert roots.control("concurrencyremote").read_text() == "10\n"


def test_a_restore_to_no_file_says_it_removed_the_file(admin_client, roots):
    assert not roots.control("timeoutsmtpd").exists()
    post_section(admin_client, "inbound", timeoutsmtpd="600")
    change = Change.objects.get(target="control/timeoutsmtpd", result="applied")

    done = _restore(admin_client, change)

    assert not roots.control("timeoutsmtpd").exists()
    message = Change.objects.get(restored_from=change).message
    assert "there was no file then, so it is removed" in message and message in done
