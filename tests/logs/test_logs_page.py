"""The Mail Logs page against the agent's operations (in process) and the real captured logs.

Numbers agree with tests/qmail/logs/test_logs_counts.py (derived there with awk, not our code).
"""

from __future__ import annotations

import dataclasses
import json
import re
from html import unescape

import pytest

from mailserver.agent.celeryapp import make_app
from mailserver.agent.config import load
from mailserver.core import agent
from tests.support.stack import free_port

pytestmark = pytest.mark.django_db

URL = "/mailserver/logs/"
WHOLE = {"preset": "range", "start": "1795611600", "end": "1795615200"}  # 13:00-14:00 UTC: all of it


def run_link(html: str) -> str | None:
    """The URL the page's running area asks for the report (with the report_id it made)."""
    found = re.search(r'hx-get="(/mailserver/logs/run/\?[^"]+)"', html)
    return unescape(found.group(1)) if found else None


def query(client, htmx: bool = True, **fields) -> str:
    """Ask the page for a report as the browser does: the form answers at once with the area
    that runs it; that area's request brings the report (the panel again, with the results)."""
    data = {**WHOLE, "report": "show-all", **fields}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.get(URL, data, **headers)
    assert response.status_code == 200
    html = response.content.decode()
    link = run_link(html)
    if link is None:  # refused by the form: nothing to run
        return html
    response = client.get(link, **headers)
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
    assert "rows 1-101 of 101" in html
    assert "We only have logs dating back to 2026-11-25 13:33:02." in html
    assert "<html" not in html  # an htmx answer is the panel alone


def test_the_chart_series_sum_to_the_totals(admin_client):
    data = chart(query(admin_client, limit="20"))
    assert (sum(data["success"]), sum(data["deferral"]), sum(data["failure"])) == (426, 86, 101)
    assert data["bucket"] == "30 seconds" and data["labels"][0] == "13:33:00"


def test_top_senders_for_one_sender_shows_its_counts(admin_client):
    html = query(admin_client, report="top-senders", sender="alice@example.test")
    assert rows(html) == 1
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    assert cells == ["alice@example.test", "74", "484,759", "68", "20", "26", "23"]
    numbers = re.findall(r'<td class="text-end font-monospace text-nowrap">([^<]*)</td>', html)
    assert numbers == ["74", "484,759", "68", "20", "26", "23"]  # counts right-aligned, grouped


def test_a_mixed_fuzzy_date_is_refused_beside_the_field_and_kept(admin_client):
    html = query(admin_client, preset="last", last="3 days 12 hours")
    assert 'value="3 days 12 hours"' in html
    feedback = re.search(r'<p id="error_1_id_last"><strong>(.*?)</strong>', html, re.S)
    assert feedback, html
    assert "Mixed fuzzy dates are not allowed" in feedback.group(1)
    assert "84 hours" in feedback.group(1)
    assert 'data-testid="results"' not in html


def test_a_sort_column_of_another_report_is_left_out_not_refused(admin_client):
    html = query(admin_client, report="top-deferrals", sort="bytes")  # a top-senders column
    assert rows(html) > 0 and 'data-testid="form-error"' not in html
    assert ", by deferrals" in html  # the report's own order


def test_the_agents_refusal_is_shown_beside_its_field(admin_client):
    html = query(admin_client, report="show-all", webmail="on", webmail_uids="nosuchuser")
    assert re.search(r'<p id="error_1_id_webmail_uids"><strong>[^<]+</strong>', html), html
    assert 'value="nosuchuser"' in html


def test_a_message_timeline_shows_arrival_attempts_with_replies_and_end(admin_client):
    html = query(admin_client, report="show-failures", sender="noreply@reject.example.com")
    link = re.search(r'hx-get="(/mailserver/logs/message/\?id=1466983&amp;at=[0-9.]+&amp;cols=6)"', html)
    assert link, "no timeline link for message 1466983"
    panel = admin_client.get(link.group(1).replace("&amp;", "&"), HTTP_HX_REQUEST="true").content.decode()
    assert panel.startswith('<tr class="timeline-row"') and 'colspan="6"' in panel  # under its row
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
    monkeypatch.setattr(agent, "transport", agent.send_signed)  # the real signed transport, to no Redis
    monkeypatch.setattr(agent, "_app", lambda: app)
    html = query(admin_client, htmx=False, rcpt="carol@example.test", report="show-deferrals")
    assert 'data-testid="agent-error"' in html and "cannot be reached" in html
    assert 'value="carol@example.test"' in html and 'value="1795611600"' in html
    assert '<option value="show-deferrals" selected>' in html


HOSTILE_ADDRESS = "<img src=x onerror=alert(1)>@x"
HOSTILE_REPLY = "<script>alert(1)</script>"


@pytest.fixture
def hostile_log(roots):
    """One message with markup in its sender, recipient and remote reply, appended to `current`.

    13:41:30 UTC: after the last real line (13:41:12), inside WHOLE. The reset of the test server
    covers control files only, so the log file is put back afterwards.
    """
    from mailserver.qmail.logs.tai64n import stamp

    current = roots.log_dir("send") / "current"
    original = current.read_bytes()
    t = 1795614090.0
    lines = [
        (t, "new msg 9999001"),
        (t, f"info msg 9999001: bytes 321 from <{HOSTILE_ADDRESS}> qp 4242 uid 1002"),
        (t + 0.1, f"starting delivery 9001: msg 9999001 to remote {HOSTILE_ADDRESS}"),
        (
            t + 0.5,
            "delivery 9001: failure: 192.0.2.1_does_not_like_recipient./Remote_host_said:_550_5.1.1_"
            f"{HOSTILE_REPLY}/Giving_up_on_192.0.2.1./",
        ),
        (t + 0.6, "end msg 9999001"),
    ]
    current.write_bytes(original + "".join(f"{stamp(when)} {text}\n" for when, text in lines).encode())
    try:
        yield
    finally:
        current.write_bytes(original)


def assert_escaped(html: str) -> None:
    assert "<img" not in html and "<script>alert" not in html
    assert "onerror=alert(1)&gt;@x" in html


def test_hostile_log_content_is_escaped_on_the_page(admin_client, hostile_log):
    html = query(admin_client, report="show-failures", detail="on")
    assert rows(html) == 102  # the 101 real failures and the hostile one
    assert_escaped(html)
    assert "&lt;img src=x onerror=alert(1)&gt;@x" in html
    assert "550 5.1.1 &lt;script&gt;alert(1)&lt;" in html  # readable() shows "/" as " / "
    link = re.search(r'hx-get="(/mailserver/logs/message/\?id=9999001&amp;at=[0-9.]+&amp;cols=8)"', html)
    assert link, "no timeline link for the hostile message"
    panel = admin_client.get(link.group(1).replace("&amp;", "&"), HTTP_HX_REQUEST="true").content.decode()
    assert "Message 9999001" in panel
    assert_escaped(panel)
    assert "&lt;script&gt;alert(1)&lt;" in panel
    for report in ("top-senders", "top-failures", "top-user-stats"):
        html = query(admin_client, report=report)
        assert_escaped(html)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"preset": "last", "last": "9" * 5000 + " hours"}, "last"),  # int() would refuse 5000 digits
        ({"preset": "last", "last": "999999999999 weeks"}, "last"),
        ({"start": "9" * 400}, "start"),  # float() makes it infinity
        ({"end": "20000000000000000000"}, "end"),  # past any TAI64N label
    ],
)
def test_times_out_of_range_are_refused_beside_their_field(admin_client, fields, field):
    html = query(admin_client, **fields)
    feedback = re.search(rf'<p id="error_1_id_{field}"><strong>(.*?)</strong>', html, re.S)
    assert feedback, html
    assert re.search(r"out of range|more than 12 digits|too long", feedback.group(1))
    assert 'data-testid="results"' not in html


def test_a_timeline_groups_the_messages_size_as_the_table_does(admin_client):
    html = admin_client.get(f"{URL}message/", {"id": "1466748", "at": "1795613666.012"}).content.decode()
    assert "4,362 bytes, uid 1008" in html  # the table's bytes column says 4,362
