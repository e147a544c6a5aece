"""Following a test message when the agent does not answer one of the page's questions."""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.django_db

URL = "/mailserver/queue/test/follow/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_an_agent_that_did_not_answer_once_is_asked_again_and_said_so(admin_client, roots, monkeypatch):
    from mailserver.core import agent

    answering = agent.transport

    def unreachable(*args):
        raise agent.AgentUnavailable("The agent for node test cannot be reached.")

    monkeypatch.setattr(agent, "transport", unreachable)
    at = f"{time.time():f}"
    html = admin_client.get(URL, {"id": "999", "at": at}, **HTMX).content.decode()
    error = re.search(r'data-testid="follow-error">([^<]*)<', html)
    assert error and re.fullmatch(
        r"Could not ask at \d\d:\d\d:\d\d, asking again: The agent for node test cannot be reached\.",
        error[1],
    )
    # Asked again in 2 s: it stopped for good, under a spinner still saying "following…".
    assert 'hx-trigger="load delay:2s"' in html and f"id=999&amp;at={at}" in html

    monkeypatch.setattr(agent, "transport", answering)  # it answers again
    html = admin_client.get(URL, {"id": "1466983", "at": "1795613737.5"}, **HTMX).content.decode()
    assert 'data-testid="follow-ended"' in html and "follow-error" not in html


def test_past_the_time_limit_an_error_stops_the_following_without_a_spinner(admin_client, roots, monkeypatch):
    from mailserver.core import agent

    def unreachable(*args):
        raise agent.AgentUnavailable("The agent for node test cannot be reached.")

    monkeypatch.setattr(agent, "transport", unreachable)
    html = admin_client.get(URL, {"id": "999", "at": f"{time.time() - 130:f}"}, **HTMX).content.decode()
    assert "no longer following" in html and "hx-trigger" not in html
    assert "following…" not in html and "asking again" not in html
