"""Train now when its 120 s wait runs out: sa-learn over many mailboxes may still be learning.

The answer said "Not trained", and the admin pressed Train now again beside a run still going. It now
says the run may still be going (or never started: nobody knows), and where to see when it is done.
"""

from __future__ import annotations

import pytest

from mailserver.core import agent
from mailserver.core.models import Change

pytestmark = pytest.mark.django_db

TRAIN_NOW = "/mailserver/spam/train-now/"


@pytest.fixture
def no_answer_in_time(roots, monkeypatch):
    def waited(operation, payload, node, timeout):
        # What send_signed raises when the agent's answer does not come within the wait.
        raise agent.AgentTimeout(
            f"The agent for node {node} did not answer within {timeout:g} s. "
            "The change was not confirmed; reload the page to see the server's actual state."
        )

    monkeypatch.setattr(agent, "transport", waited)


def test_a_run_without_an_answer_in_120_s_says_it_may_still_be_running(admin_client, no_answer_in_time):
    html = admin_client.post(TRAIN_NOW, HTTP_HX_REQUEST="true").content.decode()

    assert "Not trained" not in html
    assert "Still running, or not known: no answer came within 120 s, and the run may still finish." in html
    assert "the Last run line shows the run once it is done" in html
    assert "training-last-run" not in html  # the line on record stays: it still is the last run known
    assert Change.objects.get().result == "unconfirmed"


def test_without_javascript_the_same_is_a_warning_on_the_page(admin_client, no_answer_in_time):
    response = admin_client.post(TRAIN_NOW, follow=True)

    (message,) = list(response.context["messages"])
    assert message.level_tag == "warning"
    assert str(message).startswith("Still running, or not known: no answer came within 120 s")
