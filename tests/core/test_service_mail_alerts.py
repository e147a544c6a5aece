"""The red warning of every Mail Server page: SMTP virus scanning on and clamd down means mail is refused.

The agent's operations run in process on the test server, where clamd is not set up (so it is
down) and simscan is a stand-in program, as in tests/filters/test_simscan_agent.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from mailserver.core import agent
from mailserver.core.permissions import VIEWERS
from mailserver.protocol import Op
from mailserver.qmail.paths import Roots
from tests.support import stand_ins

DANGER = 'data-testid="mail-alert-danger"'


@pytest.fixture
def roots(agent_in_process: Roots) -> Iterator[Roots]:
    with stand_ins.smtp_rules_kept(agent_in_process) as roots:
        yield roots


@pytest.fixture
def simscan_installed(roots: Roots) -> Roots:
    return stand_ins.install_simscan(roots)


@pytest.fixture
def viewer(member_client, roots) -> Client:
    return member_client("viewer", VIEWERS)


def alerts(client: Client) -> str:
    response = client.get("/alerts/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    return response.content.decode()


def test_virus_scanning_on_with_clamd_down_shows_the_danger_and_the_page_to_go_to(viewer, simscan_installed):
    agent.call(Op.SIMSCAN_WRITE, {"clam": True})
    assert (simscan_installed.control_dir / "simcontrol").read_text().startswith(":clam=yes,")
    html = alerts(viewer)
    assert DANGER in html and "Mail is being refused." in html
    assert "clamd is not running: incoming mail is refused" in html
    assert 'href="/mailserver/virus/"' in html  # the Virus Filtering page (or its placeholder), same URL
    assert "Go to Virus Filtering" in html


def test_nothing_while_virus_scanning_is_off(viewer, simscan_installed):
    agent.call(Op.SIMSCAN_WRITE, {"clam": False})
    assert alerts(viewer).strip() == ""


def test_nothing_without_simscan_even_with_clam_yes(viewer, roots):
    agent.call(Op.SIMSCAN_WRITE, {"clam": True})  # written, but no mail passes through simscan
    assert alerts(viewer).strip() == ""


def test_nothing_when_the_agent_cannot_be_reached(viewer, simscan_installed, monkeypatch):
    agent.call(Op.SIMSCAN_WRITE, {"clam": True})
    assert DANGER in alerts(viewer)
    monkeypatch.setenv("NODEWORX_NODE", "nobody-home")  # a node whose agent does not answer
    assert alerts(viewer).strip() == ""


def test_every_mail_server_page_loads_it_without_waiting_for_it(viewer, roots):
    page = viewer.get("/mailserver/mta/").content.decode()
    assert (
        'id="mail-alerts"' in page and 'hx-get="/alerts/"' in page and 'hx-trigger="load, every 60s"' in page
    )
    assert "Mail is being refused" not in page  # not drawn by the page itself: the fragment comes after


def test_only_panel_users_see_it(member_client, roots):
    assert member_client("nobody", None).get("/alerts/").status_code == 403
