"""A change's page names the later changes to its file and warns before a restore that would be refused."""

from __future__ import annotations

import pytest

from mailserver.core.models import Change
from tests.support.mta_forms import post_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def roots(agent_in_process):
    """A page test: the agent's operations run in process (tests/conftest.py agent_in_process)."""
    return agent_in_process


def test_an_older_change_names_the_newer_ones_and_warns_that_its_restore_would_be_refused(
    admin_client, roots
):
    roots.control("concurrencyremote").write_text("10\n")
    post_section(admin_client, "outbound", concurrencyremote="5")
    post_section(admin_client, "outbound", concurrencyremote="6")
    post_section(admin_client, "inbound", databytes="5000000")  # another file: not named
    older, newer = Change.objects.filter(target="control/concurrencyremote").order_by("pk")
    other = Change.objects.get(target="control/databytes")

    html = admin_client.get(f"/changes/{older.pk}/").content.decode()

    assert 'data-testid="changed-since"' in html and f'href="/changes/{newer.pk}/"' in html
    assert f'href="/changes/{other.pk}/"' not in html
    warning = " ".join(html[html.index('data-testid="file-now-changed"') :].split("</p>", 1)[0].split())
    assert "the agent would refuse this restore" in warning and f"change {newer.pk}</a>" in warning
    assert 'data-testid="restore-button"' not in html
    newest = admin_client.get(f"/changes/{newer.pk}/").content.decode()
    assert 'data-testid="changed-since"' not in newest and 'data-testid="file-now-same"' in newest

    refused = admin_client.post(
        f"/changes/{older.pk}/restore/", {"confirm": "yes"}, follow=True
    ).content.decode()
    assert "Not restored" in refused and roots.control("concurrencyremote").read_text() == "6\n"
