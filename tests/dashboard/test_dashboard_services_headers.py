"""The dashboard's Mail services table names each column for what it holds."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def _services_headers(html: str) -> list[str]:
    card = html[html.index('data-testid="services-card"') :]
    head = card[card.index("<thead>") : card.index("</thead>")]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", head)]


def test_the_column_of_how_long_each_service_has_been_up_or_down_says_so(admin_client, roots):
    headers = _services_headers(admin_client.get("/").content.decode())

    assert headers == ["Service", "State", "In this state for", "What it does"]
