"""When Redis or the agent is down the panel says so, keeps the input, and claims nothing."""

from __future__ import annotations

import dataclasses

import pytest

from mailserver.agent.celeryapp import make_app
from mailserver.agent.config import load
from mailserver.core import agent
from mailserver.core.models import Change
from tests.support.mta_forms import section_data
from tests.support.stack import free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def dead_broker(monkeypatch):
    """The real Celery client, pointed at a port where no Redis listens."""
    dead = f"redis://127.0.0.1:{free_port()}/0"
    app = make_app(dataclasses.replace(load(), broker_url=dead, result_url=dead))
    monkeypatch.setattr(agent, "_app", lambda: app)


@pytest.fixture
def silent_agent(monkeypatch):
    """Redis is up but no agent consumes this node's queue."""
    monkeypatch.setenv("NODEWORX_NODE", "nobody-home")
    monkeypatch.setenv("NODEWORX_AGENT_TIMEOUT", "1")


def test_the_page_says_plainly_that_redis_is_down(admin_client, dead_broker):
    html = admin_client.get("/mailserver/mta/").content.decode()
    assert 'data-testid="agent-error"' in html
    assert "cannot be reached" in html and "Nothing was changed" in html


@pytest.mark.parametrize("page_name", ["mta", "mda", "spam", "virus"])
def test_with_the_agent_down_a_page_shows_no_versions_it_cannot_know(admin_client, monkeypatch, page_name):
    # The header beside the title is drawn from the agent's state: without one the MDA page said
    # "Courier IMAP None · qmail-pop3d None", the Spam page "SpamAssassin not installed".
    def unreachable(*args):
        raise agent.AgentUnavailable("The agent for node test cannot be reached.")

    monkeypatch.setattr(agent, "transport", unreachable)
    html = admin_client.get(f"/mailserver/{page_name}/").content.decode()
    assert "The agent for node test cannot be reached." in html
    assert 'data-testid="versions"' not in html and "None" not in html and "not installed" not in html


def test_a_save_with_the_agent_down_is_not_reported_as_saved(admin_client, roots, stack, silent_agent):
    response = admin_client.post(
        "/mailserver/mta/save/inbound/", {"inbound-databytes": "9999999"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "Not confirmed" in html and "did not answer" in html
    assert "Saved" not in html.replace("Not saved", "")
    assert response["HX-Retarget"] == "#section-inbound .agent-status"  # the typed input stays in the form
    assert roots.control("databytes").read_text() == "2000\n"
    assert not Change.objects.filter(result="applied").exists()


def test_a_timed_out_change_is_logged_as_unconfirmed(admin_client, roots, stack, monkeypatch):
    data = section_data("inbound", databytes="9999999")  # read while the agent answers
    monkeypatch.setenv("NODEWORX_NODE", "nobody-home")
    monkeypatch.setenv("NODEWORX_AGENT_TIMEOUT", "1")
    html = admin_client.post("/mailserver/mta/save/inbound/", data, HTTP_HX_REQUEST="true").content.decode()
    assert "Not confirmed" in html and "may or may not have been applied" in html
    assert "Saved" not in html
    assert roots.control("databytes").read_text() == "2000\n"
    assert Change.objects.get(target="control/databytes").result == "unconfirmed"
