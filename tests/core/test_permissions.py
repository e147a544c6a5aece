"""View and change permissions: viewers see every page read-only; only change may change anything."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from mailserver.core.models import Change
from mailserver.core.permissions import ADMINS, VIEWERS
from tests.support.mta_forms import post_section, section_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def roots(agent_in_process):
    """A page test: the agent's operations run in process (tests/conftest.py agent_in_process)."""
    return agent_in_process


def _codenames(group: str) -> set[str]:
    return set(Group.objects.get(name=group).permissions.values_list("codename", flat=True))


def test_the_groups_carry_the_panel_permissions():
    assert _codenames(VIEWERS) == {"view_mailserver"}
    assert _codenames(ADMINS) == {"view_mailserver", "change_mailserver"}


PAGES = ["/", "/changes/", "/mailserver/mta/", "/mailserver/logs/", "/mailserver/mda/"]


@pytest.mark.parametrize("url", PAGES)
def test_an_account_in_no_group_is_refused_every_page(member_client, url):
    assert member_client("nobody-special", None).get(url).status_code == 403


def test_an_account_in_no_group_can_still_log_out(member_client):
    client = member_client("leaving", None)
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302  # logged out: back to the login page


def test_staff_status_alone_does_not_open_the_panel(member_client):
    client = member_client("staffer", None)
    User.objects.filter(username="staffer").update(is_staff=True)
    assert client.get("/mailserver/mta/").status_code == 403


def test_a_viewer_reads_the_logs_and_unbuilt_pages(member_client):
    client = member_client("reader", VIEWERS)
    assert client.get("/mailserver/logs/").status_code == 200
    assert client.get("/mailserver/mda/").status_code == 200


def test_a_viewer_sees_the_mta_page_read_only(viewer_client):
    html = viewer_client.get("/mailserver/mta/").content.decode()
    assert 'data-testid="section-inbound"' in html and 'data-testid="read-only-inbound"' in html
    assert 'data-testid="save-' not in html
    assert "/services/" not in html  # no start/stop/restart/boot buttons
    assert "Test route" in html  # a read: viewers may use it


def test_a_forged_save_by_a_viewer_is_refused_and_sends_nothing(viewer_client, roots):
    logged = Change.objects.count()
    data = section_data("inbound", databytes="9999999")
    response = viewer_client.post("/mailserver/mta/save/inbound/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert roots.control("databytes").read_text() == "2000\n"
    assert Change.objects.count() == logged  # every save that reaches the agent is logged, refused ones too


@pytest.mark.parametrize("action", ["up", "down", "restart", "boot-on", "boot-off"])
def test_a_viewer_cannot_control_a_service(viewer_client, roots, action):
    down_file = roots.service_dir("qmail-smtpd") / "down"
    had_down, logged = down_file.exists(), Change.objects.count()
    url = f"/services/qmail-smtpd/{action}/"
    response = viewer_client.post(url, {"confirm": "yes"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert down_file.exists() == had_down
    assert Change.objects.count() == logged


def test_a_viewer_may_test_a_route(viewer_client):
    response = viewer_client.post("/mailserver/mta/route-test/", {"address": "someone@example.org"})
    assert response.status_code == 200 and 'data-testid="route-result"' in response.content.decode()


def test_a_mail_admin_sees_the_controls_and_saves(mail_admin_client, roots):
    html = mail_admin_client.get("/mailserver/mta/").content.decode()
    assert 'data-testid="save-inbound"' in html and 'data-testid="read-only-' not in html
    assert "/services/qmail-smtpd/restart/" in html
    post_section(mail_admin_client, "inbound", databytes="9999999")
    assert roots.control("databytes").read_text() == "9999999\n"
    assert Change.objects.filter(target="control/databytes").latest("id").username == "mailadmin"
