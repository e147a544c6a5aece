"""The mail host's name is shown once logged in, not on the login page anyone may open (an
attacker learned which host the panel drives), unless NODEWORX_SHOW_NODE_BEFORE_LOGIN says so."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

NODE = "test"  # the node the tests' panel is configured with


@pytest.fixture
def roots(agent_in_process):
    return agent_in_process


def _names_the_node(html: str) -> bool:
    return re.search(rf"\b{NODE}\b", re.sub(r"<(script|link|meta)[^>]*>", "", html)) is not None


@pytest.mark.parametrize("path", ["/login/", "/login/?next=/mailserver/mta/"])
def test_the_login_page_names_no_mail_host(client, path):
    html = client.get(path).content.decode()

    assert "Log in to NodeWorx" in html
    assert "node <strong>" not in html
    assert re.search(r"<title>Log in</title>", html)
    assert not _names_the_node(html)


def test_the_password_step_passed_the_code_step_still_names_none(client, django_user_model):
    from django.utils import timezone

    from mailserver.core.security import totp
    from mailserver.core.security.models import TotpDevice

    user = django_user_model.objects.create_superuser("alice", "alice@example.test", "correct horse")
    TotpDevice.objects.create(user=user, secret=totp.new_secret(), confirmed_at=timezone.now())
    response = client.post("/login/", {"username": "alice", "password": "correct horse"}, follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/login/code/", response.redirect_chain
    assert "node <strong>" not in html


def test_logged_in_the_top_bar_and_the_title_name_it(admin_client, roots):
    html = admin_client.get("/changes/").content.decode()

    assert f"node <strong>{NODE}</strong>" in html
    assert f"<title>Recent changes · {NODE}</title>" in html


def test_a_setting_shows_it_on_the_login_page(client, settings):
    settings.SHOW_NODE_BEFORE_LOGIN = True

    html = client.get("/login/").content.decode()

    assert f"node <strong>{NODE}</strong>" in html
