"""Recent changes narrowed to one file on one node: its history, reached from a change's page."""

from __future__ import annotations

import re

import pytest

from mailserver.core.models import Change

pytestmark = pytest.mark.django_db


def _change(target: str, node: str = "test") -> Change:
    return Change.objects.create(username="admin", node=node, target=target, action="write", result="applied")


def test_a_change_page_leads_to_the_history_of_its_file_and_only_that(admin_client):
    mine = [_change("control/databytes") for _ in range(3)]
    other_file = _change("control/rcpthosts")
    other_node = _change("control/databytes", node="mx2")

    page = admin_client.get(f"/changes/{mine[0].pk}/").content.decode()
    assert 'href="/changes/?target=control%2Fdatabytes&amp;node=test"' in page

    history = admin_client.get("/changes/?target=control%2Fdatabytes&node=test").content.decode()

    assert "Recent changes to <code>control/databytes</code> on node test" in history
    for change in mine:
        assert f'href="/changes/{change.pk}/"' in history
    assert f'href="/changes/{other_file.pk}/"' not in history
    assert f'href="/changes/{other_node.pk}/"' not in history
    assert 'data-testid="all-changes"' in history


def test_the_pages_of_a_history_keep_to_that_file(admin_client):
    for _ in range(51):
        _change("control/databytes")
    _change("control/rcpthosts")

    first = admin_client.get("/changes/?target=control%2Fdatabytes").content.decode()

    assert 'href="?target=control%2Fdatabytes&amp;page=2"' in first
    second = admin_client.get("/changes/?target=control%2Fdatabytes&page=2").content.decode()
    assert len(re.findall(r'href="/changes/\d+/"', second)) == 1  # the 51st of databytes, no rcpthosts


def test_the_whole_log_is_unchanged_without_a_choice(admin_client):
    _change("control/databytes")
    _change("control/rcpthosts")

    html = admin_client.get("/changes/").content.decode()

    assert html.count("diff</a>") == 2 and 'data-testid="all-changes"' not in html
