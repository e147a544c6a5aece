"""Every page talks to the node of its request (request.node), set in one place for every view."""

from __future__ import annotations

import pytest

from mailserver.core import nodes
from mailserver.core.models import Change
from tests.support.mta_forms import post_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def roots(agent_in_process):
    """A page test: the agent's operations run in process (tests/conftest.py agent_in_process)."""
    return agent_in_process


def test_a_save_is_sent_to_the_requests_node_and_logged_under_it(admin_client, roots):
    post_section(admin_client, "inbound", timeoutsmtpd="600")
    assert Change.objects.get(target="control/timeoutsmtpd").node == "test"


LOG_QUERY = "/mailserver/logs/run/?preset=range&start=1795611600&end=1795615200&report=show-all"


@pytest.mark.parametrize("url", ["/", "/mailserver/mta/", LOG_QUERY])
def test_pages_ask_the_node_the_middleware_chose(admin_client, roots, monkeypatch, url):
    # Only node "test" runs here: a request for another node reaches no agent, and says which it asked.
    monkeypatch.setattr(nodes, "node_for", lambda request: "mail2")
    html = admin_client.get(url).content.decode()
    assert "The agent for node mail2 cannot be reached" in html
    assert "node <strong>mail2</strong>" in html  # the top bar names it too
