"""Auto-Restart and "Set up under daemontools" from a service card, with the agent's operations in process.

freshclam is not on the test server: a test sets it up through the panel (as an admin would on a
server where ClamAV was just installed) and the fixture takes it away again, so every test starts
from a server without it.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory

from mailserver.core import agent
from mailserver.core.models import Change
from mailserver.core.permissions import ADMINS, VIEWERS
from mailserver.protocol import Op
from mailserver.qmail.paths import Roots
from mailserver.services import autorestart

HTMX = {"HTTP_HX_REQUEST": "true"}
NEXT = "/mailserver/virus/"


@pytest.fixture
def roots(agent_in_process: Roots) -> Iterator[Roots]:
    yield agent_in_process
    agent_in_process.service_dir("freshclam").unlink(missing_ok=True)
    shutil.rmtree(agent_in_process.qmail / "supervise" / "freshclam", ignore_errors=True)


@pytest.fixture
def admin(member_client, roots) -> Client:
    return member_client("mailadmin", ADMINS)


@pytest.fixture
def viewer(member_client, roots) -> Client:
    return member_client("viewer", VIEWERS)


@pytest.fixture
def watchdog_last_seen():
    """Sets when the watchdog last checked (its heartbeat in the agent's journal)."""
    from mailserver.agent.daemons import journal

    return lambda seconds_ago: journal().beat(0, at=time.time() - seconds_ago)


def set_up(client: Client) -> None:
    response = client.post("/services/freshclam/setup/", {"next": NEXT})
    assert response.status_code == 302 and response["Location"] == NEXT


def virus_cards() -> str:
    """The freshclam card as the Virus page draws it, from the page's own state."""
    state = agent.call(Op.VIRUS_READ_STATE)
    request = RequestFactory().get(NEXT)
    template = Template("{% load services %}{% service_card status auto_restart %}")
    context = {"status": state["services"]["freshclam"], "auto_restart": state["auto_restart"]}
    return template.render(Context({**context, "request": request, "can_change": True}))


def test_setting_up_a_missing_service_creates_it_stopped_and_records_it(admin, roots):
    directory = roots.service_dir("freshclam")
    assert not directory.exists()
    card = virus_cards()
    assert 'data-testid="setup-freshclam"' in card and "Not set up on this server" in card
    set_up(admin)
    assert (directory / "down").exists() and (directory / "log" / "down").exists()
    assert (directory / "run").read_text().startswith("#!/bin/sh\n# nodeworx-managed: freshclam.run v1\n")
    assert [(c.target, c.action, c.result) for c in Change.objects.order_by("pk")] == [
        ("service freshclam", "create", "applied"),
        ("service freshclam/run", "write", "applied"),
    ]
    card = virus_cards()
    assert 'data-testid="setup-freshclam"' not in card and "Not set up on this server" not in card
    assert 'data-testid="start-freshclam"' in card


def test_setting_up_a_service_that_is_there_says_why_not(admin, roots):
    set_up(admin)
    page = admin.post("/services/freshclam/setup/", {"next": NEXT}, follow=True).content.decode()
    assert "freshclam was not set up:" in page and "already exists" in page


def test_the_panel_offers_no_set_up_of_qmails_own_services(admin, roots):
    assert admin.post("/services/qmail-smtpd/setup/", {"next": NEXT}).status_code == 404
    assert not Change.objects.exists()


def test_turning_auto_restart_on_is_recorded_and_shown_on_the_card(admin, roots, watchdog_last_seen):
    set_up(admin)
    watchdog_last_seen(5)
    assert 'data-testid="auto-restart-state-freshclam">off<' in virus_cards()
    box = admin.post("/services/freshclam/auto-restart/", {"enabled": "on", "next": NEXT}, **HTMX)
    html = box.content.decode()
    assert box.status_code == 200 and "<html" not in html  # the box alone, swapped in place
    assert 'id="auto-restart-freshclam"' in html and 'auto-restart-state-freshclam">on<' in html
    assert 'name="enabled" value="off"' in html  # the switch now turns it off
    assert (roots.service_dir("freshclam") / autorestart.FLAG).is_file()
    last = Change.objects.order_by("pk").last()
    assert last is not None
    assert (last.target, last.action, last.after, last.username) == (
        "service freshclam", "auto-restart on", "auto-restart\n", "mailadmin",
    )  # fmt: skip
    card = virus_cards()
    assert 'data-testid="auto-restart-state-freshclam">on<' in card
    assert "the panel starts it again within half a minute" in card
    assert "watchdog-not-running" not in card  # it checked 5 s ago

    admin.post("/services/freshclam/auto-restart/", {"enabled": "off", "next": NEXT}, **HTMX)
    assert not (roots.service_dir("freshclam") / autorestart.FLAG).exists()
    assert Change.objects.order_by("pk").last().action == "auto-restart off"  # type: ignore[union-attr]


def test_without_htmx_the_switch_comes_back_to_the_page(admin, roots):
    set_up(admin)
    response = admin.post("/services/freshclam/auto-restart/", {"enabled": "on", "next": NEXT})
    assert response.status_code == 302 and response["Location"] == NEXT


def test_auto_restart_on_without_a_running_watchdog_says_it_does_nothing(admin, roots, watchdog_last_seen):
    set_up(admin)
    watchdog_last_seen(3600)
    html = admin.post("/services/freshclam/auto-restart/", {"enabled": "on", "next": NEXT}, **HTMX).content
    assert b"The watchdog is not running, so Auto-Restart does nothing." in html
    assert b"deploy/systemd/nodeworx-watchdog.service" in html
    card = virus_cards()
    assert 'data-testid="watchdog-not-running-freshclam"' in card
    assert "deploy/daemontools/nodeworx-watchdog" in card


def test_a_missing_service_cannot_have_auto_restart_turned_on(admin, roots):
    card = virus_cards()
    assert 'data-testid="auto-restart-toggle-freshclam" aria-pressed="false"' in card
    assert "It can be turned on once the service is set up" in card
    html = admin.post("/services/freshclam/auto-restart/", {"enabled": "on"}, **HTMX).content.decode()
    assert 'data-testid="auto-restart-error-freshclam"' in html and "freshclam" in html
    assert 'auto-restart-state-freshclam">off<' in html
    assert Change.objects.get().result != "applied"


def test_a_viewer_can_neither_switch_auto_restart_nor_set_up_a_service(viewer, roots):
    assert viewer.post("/services/freshclam/setup/", {"next": NEXT}).status_code == 403
    assert not roots.service_dir("freshclam").exists()
    assert viewer.post("/services/qmail-send/auto-restart/", {"enabled": "on"}, **HTMX).status_code == 403
    assert not (roots.service_dir("qmail-send") / autorestart.FLAG).exists()
    assert not Change.objects.exists()
