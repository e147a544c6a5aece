"""A report runs without holding the page: the query answers at once with a progress bar and a
Cancel button; the report comes in a request of its own; a cancelled report says so.

The agent's operations run in process (tests/conftest.py); progress and cancel are its files.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client

from mailserver.core import agent
from mailserver.protocol import Op
from tests.logs.test_logs_page import URL, WHOLE, rows

pytestmark = pytest.mark.django_db


def start(client, **fields) -> tuple[str, str]:
    """The page's answer to a query, and the report_id it made for the report."""
    html = client.get(URL, {**WHOLE, "report": "show-all", **fields}, HTTP_HX_REQUEST="true").content.decode()
    found = re.search(r'hx-get="/mailserver/logs/run/\?[^"]*report_id=([A-Za-z0-9_-]+)"', html)
    assert found, html
    return html, found.group(1)


def run(client, report_id: str, **fields) -> str:
    data = {**WHOLE, "report": "show-all", **fields, "report_id": report_id}
    return client.get(f"{URL}run/", data, HTTP_HX_REQUEST="true").content.decode()


def reports_sent() -> list[dict]:
    return [payload for op, payload in agent.transport.calls if op == Op.LOGS_REPORT]


def test_a_query_answers_at_once_with_a_progress_bar_and_cancel(admin_client):
    html, report_id = start(admin_client)
    assert reports_sent() == []  # nothing read yet: the page answered at once
    assert 'data-testid="results"' not in html
    assert 'hx-trigger="load"' in html  # the running area asks for the report as it appears
    assert f'hx-get="/mailserver/logs/progress/{report_id}/" hx-trigger="every 500ms"' in html
    assert "<progress" in html and "value=" not in re.search(r"<progress[^>]*>", html).group(
        0
    )  # indeterminate
    assert f'hx-post="/mailserver/logs/cancel/{report_id}/"' in html
    other = start(admin_client)[1]
    assert other != report_id  # every run has its own id


def test_the_report_carries_its_id_and_the_bar_stops_when_it_is_finished(admin_client):
    # Read from the log, whose progress is counted in bytes (from an up-to-date index, which an
    # earlier test's log follower may have built, a report is one query with no percentage).
    _, report_id = start(admin_client, report="show-failures", source="log")
    html = run(admin_client, report_id, report="show-failures", source="log")
    assert rows(html) == 101
    assert reports_sent()[0]["report_id"] == report_id
    bar = admin_client.get(f"{URL}progress/{report_id}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-phase="done"' in bar and 'value="100.0"' in bar
    assert "hx-trigger" not in bar  # finished: no more polling


def test_the_bar_keeps_polling_a_report_not_started_yet(admin_client):
    bar = admin_client.get(f"{URL}progress/notstartedyet/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 500ms"' in bar and "<progress" in bar
    assert admin_client.get(f"{URL}progress/bad!id/").status_code == 404


def test_a_cancelled_report_says_cancelled_and_keeps_the_form(admin_client):
    _, report_id = start(admin_client, rcpt="carol@example.test", report="show-deferrals")
    answer = admin_client.post(f"{URL}cancel/{report_id}/", HTTP_HX_REQUEST="true").content.decode()
    assert "Cancelling" in answer
    # The agent's report sees the cancel before its first block and answers "cancelled".
    html = run(admin_client, report_id, rcpt="carol@example.test", report="show-deferrals")
    assert 'data-testid="report-cancelled"' in html and "Cancelled." in html
    assert 'data-testid="results"' not in html and 'data-testid="agent-error"' not in html
    assert 'value="carol@example.test"' in html and '<option value="show-deferrals" selected>' in html
    progress = agent.call(Op.LOGS_PROGRESS, {"report_id": report_id})
    assert progress["phase"] == "cancelled" and progress["finished"] and progress["cancelled"]


def test_cancel_is_a_post_with_the_csrf_token_by_a_logged_in_user(admin_client, django_user_model):
    assert admin_client.get(f"{URL}cancel/abcdefgh12/").status_code == 405
    assert Client().post(f"{URL}cancel/abcdefgh12/").status_code in (302, 403)  # logged out
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(django_user_model.objects.get(username="admin"))
    assert strict.post(f"{URL}cancel/abcdefgh12/").status_code == 403  # no token


def test_without_javascript_the_run_link_is_a_page_with_the_report(admin_client):
    html = admin_client.get(URL, {**WHOLE, "report": "top-senders"}).content.decode()
    assert "<noscript>" in html
    link = re.search(r'<noscript>.*?href="(/mailserver/logs/run/\?[^"]+)"', html, re.S)
    assert link
    page = admin_client.get(unescape(link.group(1))).content.decode()
    assert "<html" in page and 'data-testid="report-table"' in page and "alice@example.test" in page
