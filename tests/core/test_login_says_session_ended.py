"""Sent to the login from a page (?next=), the admin reads why and where the login leads: "Your
session ended; log in again to go on to the MTA page". The page is named from the panel's own
list, never from the address; a plain visit says nothing."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def roots(agent_in_process):
    return agent_in_process


def _notice(html: str) -> str | None:
    found = re.search(r'data-testid="session-ended">([^<]*)<', html)
    return found.group(1) if found else None


def _ended_session(client) -> None:
    client.cookies[settings.SESSION_COOKIE_NAME] = "a0session0the0server0no0longer0knows"
    client.get("/mailserver/mta/")  # the redirect to the login drops the cookie: the session is gone


def test_a_page_opened_after_the_session_ended_leads_to_a_login_that_says_so(client, roots):
    _ended_session(client)

    response = client.get("/mailserver/mta/", follow=True)

    assert response.redirect_chain == [("/login/?next=/mailserver/mta/", 302)]
    html = response.content.decode()
    assert _notice(html) == "Your session ended; log in again to go on to the MTA page."
    assert re.search(r'<input[^>]*name="username"[^>]*aria-describedby="session-ended"', html)


@pytest.mark.parametrize(
    ("next_url", "named"),
    [
        ("/", "the Dashboard"),
        ("/mailserver/logs/run/?preset=range&address=bob%40example.com", "the Mail Logs page"),
        ("/changes/12/", "Recent changes"),
        ("/account/two-factor/", "your two-factor login"),
        ("/Call%20+1%20555%200100%20to%20unlock/", "the page you asked for"),
    ],
)
def test_the_page_is_named_from_the_panels_pages_never_from_the_address(client, next_url, named):
    _ended_session(client)

    html = client.get("/login/", {"next": next_url}).content.decode()

    assert _notice(html) == f"Your session ended; log in again to go on to {named}."
    shown = re.sub(r'<input type="hidden" name="next"[^>]*>', "", html)  # kept only to go on after
    assert "bob" not in shown and "555" not in shown


def test_a_first_visit_from_a_bookmark_is_told_where_the_login_leads_not_that_a_session_ended(client):
    html = client.get("/login/?next=/mailserver/queue/").content.decode()

    assert _notice(html) == "Log in to go on to the Mail Queue page."


def test_a_plain_visit_says_nothing(client):
    _ended_session(client)

    assert _notice(client.get("/login/").content.decode()) is None


def test_another_sites_address_in_next_says_nothing(client):
    _ended_session(client)

    assert _notice(client.get("/login/?next=https://evil.example/").content.decode()) is None


def test_logging_in_from_there_goes_on_to_the_page(client, django_user_model, roots):
    django_user_model.objects.create_superuser("alice", "alice@example.test", "correct horse")
    _ended_session(client)

    response = client.post(
        "/login/?next=/mailserver/mta/",
        {"username": "alice", "password": "correct horse", "next": "/mailserver/mta/"},
    )

    assert response.status_code == 302 and response["Location"] == "/mailserver/mta/"
