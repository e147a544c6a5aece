"""The Mail Logs page against the real agent and the real captured logs.

Numbers agree with tests/qmail/logs/test_logs_counts.py (derived there with awk, not our code).
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from mailserver.agent.celeryapp import make_app
from mailserver.agent.config import load
from mailserver.core import agent
from tests.support.stack import free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

URL = "/mailserver/logs/"
WHOLE = {"preset": "range", "start": "1795611600", "end": "1795615200"}  # 13:00-14:00 UTC: all of it


def query(client, htmx: bool = True, **fields) -> str:
    data = {**WHOLE, "report": "show-all", **fields}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.get(URL, data, **headers)
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str) -> int:
    return html.count('data-testid="report-row"')


def chart(html: str) -> dict:
    found = re.search(r'<script id="delivery-chart-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, "no chart data"
    return json.loads(found.group(1))


def test_the_nav_leads_to_the_form(admin_client):
    html = admin_client.get("/mailserver/mta/").content.decode()
    assert f'href="{URL}"' in html
    page = admin_client.get(URL).content.decode()
    assert 'class="nav-link py-1 active" href="/mailserver/logs/"' in page
    assert 'name="preset"' in page and "Last 5 minutes" in page and "Last week" in page
    assert "vendor/chartjs/chart.umd.min.js" in page
    assert 'data-testid="results"' not in page  # nothing is read until asked


def test_show_failures_over_the_whole_log_lists_every_failure(admin_client):
    html = query(admin_client, report="show-failures")
    assert rows(html) == 101
    assert "101 rows" in html
    assert "We only have logs dating back to 2026-11-25 13:33:02." in html
    assert "<html" not in html  # an htmx answer is the panel alone


def test_the_chart_series_sum_to_the_totals(admin_client):
    data = chart(query(admin_client, limit="20"))
    assert (sum(data["success"]), sum(data["deferral"]), sum(data["failure"])) == (426, 86, 101)
    assert data["bucket"] == "30 seconds" and data["labels"][0] == "13:33:00"


def test_top_senders_for_one_sender_shows_its_counts(admin_client):
    html = query(admin_client, report="top-senders", sender="alice@example.test")
    assert rows(html) == 1
    cells = re.findall(r"<td>([^<]*)</td>", html)
    assert cells == ["alice@example.test", "74", "484759", "68", "20", "26", "23"]


def test_a_mixed_fuzzy_date_is_refused_beside_the_field_and_kept(admin_client):
    html = query(admin_client, preset="last", last="3 days 12 hours")
    assert 'value="3 days 12 hours"' in html
    feedback = re.search(r'<p id="error_1_id_last"><strong>(.*?)</strong>', html, re.S)
    assert feedback, html
    assert "Mixed fuzzy dates are not allowed" in feedback.group(1)
    assert "84 hours" in feedback.group(1)
    assert 'data-testid="results"' not in html


def test_the_agents_refusal_is_shown_beside_its_field(admin_client):
    html = query(admin_client, report="top-deferrals", sort="bytes")
    assert '<p id="error_1_id_sort"><strong>no single column matches &#x27;bytes&#x27;' in html
    assert 'value="bytes"' in html


def test_a_message_timeline_shows_arrival_attempts_with_replies_and_end(admin_client):
    html = query(admin_client, report="show-failures", sender="noreply@reject.example.com")
    link = re.search(r'hx-get="(/mailserver/logs/message/\?id=1466983&amp;at=[0-9.]+)"', html)
    assert link, "no timeline link for message 1466983"
    panel = admin_client.get(link.group(1).replace("&amp;", "&"), HTTP_HX_REQUEST="true").content.decode()
    assert "Message 1466983" in panel
    assert "arrived from noreply@reject.example.com, 1431 bytes" in panel
    assert panel.count('data-kind="start"') == 4
    assert "delivery 278 deferral: Sorry, I wasn&#x27;t able to establish an SMTP connection." in panel
    assert "this message has been in the queue too long" in panel
    assert 'data-kind="end"' in panel and "left the queue" in panel


def test_without_htmx_the_timeline_is_a_page_of_its_own(admin_client):
    html = admin_client.get(f"{URL}message/", {"id": "1466983", "at": "1795613737.5"}).content.decode()
    assert "<html" in html and "left the queue" in html
    missing = admin_client.get(f"{URL}message/", {"id": "1466718", "at": "1795613000"}).content.decode()
    assert 'data-testid="timeline-error"' in missing and "No message 1466718" in missing


def test_with_the_agent_unavailable_the_page_says_so_and_keeps_the_input(admin_client, monkeypatch):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    app = make_app(dataclasses.replace(load(), broker_url=dead, result_url=dead))
    monkeypatch.setattr(agent, "_app", lambda: app)
    html = query(admin_client, htmx=False, rcpt="carol@example.test", report="show-deferrals")
    assert 'data-testid="agent-error"' in html and "cannot be reached" in html
    assert 'value="carol@example.test"' in html and 'value="1795611600"' in html
    assert '<option value="show-deferrals" selected>' in html
