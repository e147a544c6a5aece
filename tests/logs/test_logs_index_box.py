"""The delivery index's box: its state against the log, and "Keep rows N days" (a recorded change)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.template.loader import render_to_string
from django.test import Client

from mailserver.core import agent
from mailserver.core.models import Change
from mailserver.core.permissions import VIEWERS
from mailserver.logs.forms import RetentionForm
from mailserver.logs.present import index_status
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


def _box_for(state: str, **answer) -> str:
    """The box for an agent's answer in a state the test server's index is not in."""
    status = {
        "state": state,
        "log_newest": 1795614072.0,
        "log_bytes": 150_300_000,
        "newest": None,
        "lag": None,
        "bytes": 0,
        "rows": {},
        "built": None,
        "build_seconds": None,
        "retention_days": 90,
        "building": None,
        **answer,
    }
    context = {"index": index_status(status), "retention_form": RetentionForm(initial={"days": 90})}
    return render_to_string("logs/_index.html", context)


@pytest.mark.parametrize("state", ["absent", "stale", "building"])
def test_an_index_not_ready_yet_keeps_its_box_current_and_says_what_reports_read(roots, state):
    # "absent" stayed on screen after the follower had begun building it: only "building" polled.
    building = {"phase": "reading", "done": 10, "total": 100} if state == "building" else None
    html = _box_for(state, building=building)
    assert 'hx-trigger="every 5s"' in html
    assert 'data-testid="index-note"' in html and "reports read the log" in html
    assert "0 bytes" not in html  # no size of an index that has none


def test_a_ready_index_box_does_not_poll(roots):
    html = _box_for("ready", bytes=50_000, newest=1795614072.0, lag=0.0, built=1796000000.0)
    assert "every 5s" not in html and 'data-testid="index-note"' not in html
    assert "48.8\xa0KB" in html


def test_without_javascript_the_box_and_a_retention_save_come_in_a_page_with_the_way_back(
    admin_client, retention
):
    # The page's <noscript> link and a save with JavaScript off answered the box alone: an unstyled
    # fragment with no layout and no way back to Mail Logs.
    shown = admin_client.get(URL)
    html = shown.content.decode()
    assert "<html" in html and 'data-testid="log-index"' in html and 'href="/mailserver/logs/"' in html
    assert "HX-Request" in shown["Vary"]
    saved = admin_client.post(f"{URL}retention/", {"days": "31"}).content.decode()
    assert "<html" in saved and "The index keeps rows 31 days." in saved
    assert (
        "<html" not in admin_client.get(URL, HTTP_HX_REQUEST="true").content.decode()
    )  # htmx: the box alone
