"""Before offering a restore, the change's page asks the node whether the file still holds what the
change wrote: an edit by hand after the change shows there, not only in the refusal."""

from __future__ import annotations

import pytest

from mailserver.core.models import Change
from tests.support.mta_forms import post_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def roots(agent_in_process):
    """A page test: the agent's operations run in process (tests/conftest.py agent_in_process)."""
    return agent_in_process


def _page(client, change: Change) -> str:
    return " ".join(client.get(f"/changes/{change.pk}/").content.decode().split())


def test_a_file_as_the_change_left_it_is_said_and_the_restore_offered(admin_client, roots):
    post_section(admin_client, "inbound", databytes="5000000")
    change = Change.objects.get(target="control/databytes", result="applied")

    html = _page(admin_client, change)

    assert "control/databytes on node test still holds the version this change wrote." in html
    assert 'data-testid="restore-button"' in html


def test_a_file_edited_by_hand_after_the_change_is_said_and_no_restore_offered(admin_client, roots):
    post_section(admin_client, "inbound", databytes="5000000")
    change = Change.objects.get(target="control/databytes", result="applied")
    roots.control("databytes").write_text("7000\n")  # by hand, after the change

    html = _page(admin_client, change)

    assert "control/databytes on node test no longer holds the version this change wrote" in html
    assert "it was edited by hand or by another program" in html
    assert 'data-testid="restore-button"' not in html
    assert roots.control("databytes").read_text() == "7000\n"


def test_a_run_script_edited_by_hand_is_said_too(admin_client, roots):
    post_section(admin_client, "rbl", zones="zen.spamhaus.org")
    change = Change.objects.filter(target="service qmail-smtpd/run", result="applied").latest("pk")
    run = roots.service_dir("qmail-smtpd") / "run"
    assert 'data-testid="file-now-same"' in _page(admin_client, change)
    run.write_text(run.read_text() + "# tuned by hand\n")

    assert 'data-testid="file-now-changed"' in _page(admin_client, change)


def test_a_file_removed_by_the_change_and_still_absent_counts_as_unchanged(admin_client, roots):
    roots.control("timeoutsmtpd").write_text("600\n")
    post_section(admin_client, "inbound", timeoutsmtpd="")  # empty: back to qmail's default, the file removed
    change = Change.objects.filter(target="control/timeoutsmtpd", result="applied").latest("pk")
    assert not roots.control("timeoutsmtpd").exists()

    assert 'data-testid="file-now-same"' in _page(admin_client, change)


@pytest.mark.integration
def test_with_redis_down_the_page_says_it_could_not_check_and_still_offers_the_restore(
    admin_client, monkeypatch
):
    import dataclasses

    from mailserver.agent.celeryapp import make_app
    from mailserver.agent.config import load
    from mailserver.core import agent
    from tests.support.stack import free_port

    dead = f"redis://127.0.0.1:{free_port()}/0"
    app = make_app(dataclasses.replace(load(), broker_url=dead, result_url=dead))
    monkeypatch.setattr(agent, "_app", lambda: app)
    monkeypatch.setattr(agent, "transport", agent.send_signed)  # the real one, whatever the page fixtures set
    change = Change.objects.create(
        username="admin", node="test", target="control/databytes", action="write",
        before="2000\n", after="5000000\n", result="applied",
    )  # fmt: skip

    html = _page(admin_client, change)

    assert 'data-testid="file-now-unknown"' in html and "could not be checked now" in html
    assert 'data-testid="restore-button"' in html  # the agent checks the file itself before writing
