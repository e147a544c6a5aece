"""Back and Forward on Mail Logs: what the page gives the browser to bring a report back without
reading the log again (the browser's part is tests/browser/test_mail_logs_in_chromium.py)."""

from __future__ import annotations

import re

import pytest

from tests.logs.test_logs_page import URL, WHOLE, run_link

pytestmark = pytest.mark.django_db

QUERY = {**WHOLE, "report": "show-all"}


def test_the_panel_alone_and_the_page_at_one_url_tell_the_browser_they_differ(admin_client, roots):
    # Without it, Back from another page took the panel htmx had asked for from the browser's cache
    # as the whole page: no layout, no scripts, no report.
    for headers in ({"HTTP_HX_REQUEST": "true"}, {}):
        page = admin_client.get(URL, QUERY, **headers)
        assert "HX-Request" in page.headers["Vary"]
        link = run_link(page.content.decode())
        assert link is not None
        assert "HX-Request" in admin_client.get(link, **headers).headers["Vary"]


def test_a_result_says_when_it_was_read_for_when_back_brings_it_back(admin_client, roots, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    page = admin_client.get(URL, QUERY, HTTP_HX_REQUEST="true").content.decode()
    link = run_link(page)
    assert link is not None
    html = admin_client.get(link, HTTP_HX_REQUEST="true").content.decode()

    kept = re.search(r'<div class="alert[^"]*" data-testid="report-kept" hidden>(.*?)</div>', html, re.S)
    assert kept is not None, html  # hidden: mail-logs.js shows it on a result brought back
    said = " ".join(re.sub(r"<[^>]+>", "", kept[1]).split())
    assert re.fullmatch(
        r"This report as it was read at \d{4}-\d\d-\d\d \d\d:\d\d \(Europe/Berlin\), brought back by Back "
        r"or Forward without reading the log again\. Run report reads it now\.",
        said,
    ), said


def test_the_area_that_runs_a_report_holds_what_back_says_when_no_result_was_kept(admin_client, roots):
    html = admin_client.get(URL, QUERY, HTTP_HX_REQUEST="true").content.decode()

    area = html[html.index('id="report-run"') :]
    note = re.search(r'data-testid="report-not-kept" hidden>(.*?)</div>', area, re.S)
    assert note is not None
    assert " ".join(re.sub(r"<[^>]+>", "", note[1]).split()) == (
        "This report's result was not kept, and Back or Forward does not read the log again by itself "
        "(on a big log that takes a while). The form holds its query: Run report reads it."
    )
