"""The delivery index's box: its state against the log, and "Keep rows N days" (a recorded change)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from mailserver.core import agent
from mailserver.core.models import Change
from mailserver.core.permissions import VIEWERS
from mailserver.protocol import Op

pytestmark = pytest.mark.django_db
URL = "/mailserver/logs/index/"


@pytest.fixture
def retention(roots):
    """The index's retention as the test found it, put back afterwards (reset covers control files only)."""
    before = agent.call(Op.LOGS_INDEX, {})["retention_days"]
    yield before
    agent.call(Op.LOGS_RETENTION, {"days": before})


def test_the_page_loads_the_box_after_itself(admin_client):
    html = admin_client.get("/mailserver/logs/").content.decode()
    assert f'hx-get="{URL}" hx-trigger="load"' in html


def test_the_box_shows_the_state_size_and_newest_line(admin_client, retention):
    html = admin_client.get(URL, HTTP_HX_REQUEST="true").content.decode()
    status = agent.call(Op.LOGS_INDEX, {})
    state = re.search(r'data-testid="index-state">([a-z]+)<', html)
    assert state and state.group(1) == status["state"]
    assert "of the log&#x27;s 269.8" in html or "of the log's 269.8" in html  # 276,249 bytes of captured log
    assert "2026-11-25 13:41:12" in re.search(r'data-testid="index-log-newest">([^<]*)<', html).group(1)
    assert f'name="days" value="{retention}"' in html
    assert 'data-testid="save-retention"' in html
    assert "Keep rows (days)" in html and 'aria-describedby="retention-help"' in html  # the unit in its label
    assert 'id="retention-help">How long the index keeps the rows' in html


def test_keep_rows_n_days_is_saved_and_recorded(admin_client, retention):
    html = admin_client.post(f"{URL}retention/", {"days": "30"}, HTTP_HX_REQUEST="true").content.decode()
    assert "The index keeps rows 30 days." in html and 'name="days" value="30"' in html
    assert agent.call(Op.LOGS_INDEX, {})["retention_days"] == 30
    change = Change.objects.get(target="mail log index retention")
    assert (change.username, change.before, change.after, change.result) == (
        "admin",
        f"{retention} days",
        "30 days",
        "applied",
    )


@pytest.mark.parametrize("days", ["0", "3651", "ten"])
def test_a_retention_out_of_range_is_refused_beside_the_field(admin_client, retention, days):
    html = admin_client.post(f"{URL}retention/", {"days": days}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="error_1_id_days"' in html and f'value="{days}"' in html
    assert agent.call(Op.LOGS_INDEX, {})["retention_days"] == retention
    assert not Change.objects.filter(target="mail log index retention").exists()


def test_a_viewer_sees_the_box_but_cannot_change_it(roots, retention):
    user = User.objects.create_user("viewer", "viewer@example.test", "pw")
    user.groups.add(Group.objects.get(name=VIEWERS))
    viewer = Client()
    viewer.force_login(user)
    html = viewer.get(URL, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="index-state"' in html and 'data-testid="save-retention"' not in html
    assert viewer.post(f"{URL}retention/", {"days": "30"}).status_code == 403
    assert agent.call(Op.LOGS_INDEX, {})["retention_days"] == retention
