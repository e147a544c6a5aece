"""The breadcrumb says where a page is: the change log and one's account are not under Mail Server."""

from __future__ import annotations

import re

import pytest

from mailserver.core.models import Change

pytestmark = pytest.mark.django_db


def _crumbs(html: str) -> list[str]:
    trail = html[html.index('aria-label="Breadcrumb"') :].split("</ol>", 1)[0]
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li[^>]*>(.*?)</li>", trail, re.S)]


def test_the_change_log_and_a_change(admin_client):
    change = Change.objects.create(
        username="admin", node="test", target="control/databytes", action="write", result="applied"
    )

    assert _crumbs(admin_client.get("/changes/").content.decode()) == ["Panel", "Recent changes"]
    detail = admin_client.get(f"/changes/{change.pk}/").content.decode()
    assert _crumbs(detail) == ["Panel", "Recent changes", f"Change {change.pk}"]
    assert '<li class="breadcrumb-item"><a href="/changes/">Recent changes</a></li>' in detail


def test_the_two_factor_page_is_the_accounts(admin_client):
    html = admin_client.get("/account/two-factor/").content.decode()

    assert _crumbs(html) == ["Your account (admin)", "Two-factor login"]


def test_a_mail_server_page_keeps_its_trail(admin_client, agent_in_process):
    html = admin_client.get("/").content.decode()

    assert _crumbs(html) == ["System Services", "Mail Server", "Dashboard"]
