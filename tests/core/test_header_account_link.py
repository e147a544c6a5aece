"""The header's link to one's account says where it goes: a title is not read by every screen reader."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_user_name_link_is_named_for_the_two_factor_page(admin_client):
    html = admin_client.get("/changes/").content.decode()

    link = html[html.index('href="/account/two-factor/"') :].split("</a>", 1)[0]
    assert 'admin<span class="visually-hidden">: your account, two-factor login</span>' in link
