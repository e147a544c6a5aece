"""The report's table and chart on the page: paging, sorting by the headers, the options of each
report, counts and times for people, the newest log line, the chart over the data's own range."""

from __future__ import annotations

import re
from html import unescape

import pytest

from mailserver.core import agent
from mailserver.protocol import Op
from tests.logs.test_logs_page import URL, WHOLE, chart, query, rows

pytestmark = pytest.mark.django_db
WEEK = {"preset": "range", "start": str(1795615200 - 7 * 86400), "end": "1795615200"}


def follow(client, html: str, testid: str) -> str:
    """Click a link of the results (paging, a header): the page, then its report."""
    link = re.search(rf'data-testid="{testid}" href="(/mailserver/logs/\?[^"]+)"', html)
    assert link, f"no {testid} link"
    page = client.get(unescape(link.group(1)), HTTP_HX_REQUEST="true").content.decode()
    run = re.search(r'hx-get="(/mailserver/logs/run/\?[^"]+)"', page)
    assert run
    return client.get(unescape(run.group(1)), HTTP_HX_REQUEST="true").content.decode()


def row_count(html: str) -> str:
    found = re.search(r'data-testid="row-count">([^<]*)<', html)
    assert found
    return found.group(1)


def bodies(html: str) -> list[str]:
    return re.findall(r'<tr data-testid="report-row">(.*?)</tr>', html, re.S)


def test_show_all_pages_through_every_row(admin_client):
    first = query(admin_client, limit="200")
    assert rows(first) == 200 and row_count(first) == "rows 1-200 of 613"
    assert 'data-testid="previous-page"' not in first
    second = follow(admin_client, first, "next-page")
    assert row_count(second) == "rows 201-400 of 613"
    whole = query(admin_client)  # the first 500 in one page
    assert bodies(second) == bodies(whole)[200:400]
    third = follow(admin_client, second, "next-page")
    last = follow(admin_client, third, "next-page")
    assert row_count(last) == "rows 601-613 of 613" and rows(last) == 13
    assert 'data-testid="next-page"' not in last
    back = follow(admin_client, last, "previous-page")
    assert row_count(back) == "rows 401-600 of 613"


def test_a_new_run_starts_at_the_first_page(admin_client):
    html = query(admin_client, limit="200", offset="400")
    assert row_count(html) == "rows 401-600 of 613"
    assert 'name="offset"' not in html  # the form carries no offset: Run report starts again


def test_top_senders_sorts_by_the_header_clicked_and_turns_round_on_a_second_click(admin_client):
    html = query(admin_client, report="top-senders")
    assert ", by messages" in row_count(html)
    assert 'data-testid="sort-bytes"' in html and 'aria-sort="descending"' in html
    by_bytes = follow(admin_client, html, "sort-bytes")
    assert ", by bytes" in row_count(by_bytes)
    sizes = [int(v.replace(",", "")) for v in column(by_bytes, "bytes")]
    assert sizes == sorted(sizes, reverse=True) and len(sizes) > 3  # numbers high first
    turned = follow(admin_client, by_bytes, "sort-bytes")
    assert "(reversed)" in row_count(turned) and 'aria-sort="ascending"' in turned
    assert [int(v.replace(",", "")) for v in column(turned, "bytes")] == sorted(sizes)
    by_sender = follow(admin_client, turned, "sort-sender")
    senders = column(by_sender, "sender")
    assert senders == sorted(senders) and "(reversed)" not in row_count(by_sender)  # text A-Z


def column(html: str, name: str) -> list[str]:
    names = re.findall(r'data-testid="sort-([a-z_]+)"', html)
    index = names.index(name)
    return [re.findall(r"<td[^>]*>\s*(.*?)\s*</td>", body, re.S)[index] for body in bodies(html)]


def test_show_reports_have_no_sort_links(admin_client):
    html = query(admin_client, report="show-deferrals", limit="5")
    assert 'data-testid="sort-' not in html and "<th" in html


@pytest.mark.parametrize(
    ("report", "shown"),
    [
        ("show-all", {"detail"}),
        ("show-failures", {"detail"}),
        ("top-senders", {"channel"}),
        ("top-deferrals", {"channel", "by"}),
        ("top-failures", {"channel", "by"}),
        ("deferrals-by-cause", {"channel"}),
    ],
)
def test_only_the_options_of_the_chosen_report_are_shown(admin_client, report, shown):
    html = admin_client.get(URL, {**WHOLE, "report": report}).content.decode()
    for option in ("detail", "channel", "by"):
        box = re.search(
            rf'<div class="[^"]*" data-reports="([^"]*)"( hidden)? data-testid="option-{option}"', html
        )
        assert box, option
        assert (box.group(2) is None) == (option in shown), (report, option)
        assert (report in box.group(1).split()) == (option in shown)  # what mail-logs.js shows on a change


def test_options_of_other_reports_are_not_sent(admin_client):
    query(
        admin_client, report="show-all", channel="local", by="sender", sort="bytes", reverse="on", limit="5"
    )
    sent = [p for op, p in agent.transport.calls if op == Op.LOGS_REPORT][-1]
    assert (sent["channel"], sent["by"], sent["sort"], sent["reverse"]) == ("both", "recipient", None, False)
    query(admin_client, report="top-senders", detail="on", channel="local", sort="byt", reverse="on")
    sent = [p for op, p in agent.transport.calls if op == Op.LOGS_REPORT][-1]
    assert (sent["detail"], sent["channel"], sent["sort"], sent["reverse"]) == (False, "local", "byt", True)


def test_deferrals_by_cause_reads_as_causes_with_dates(admin_client):
    html = admin_client.get(URL).content.decode()
    assert '<option value="deferrals-by-cause">deferrals-by-cause: why mail waits</option>' in html
    html = query(admin_client, report="deferrals-by-cause")
    assert row_count(html) == "rows 1-8 of 8, by deferrals"
    headers = [h.strip() for h in re.findall(r'data-testid="sort-[a-z_]+"[^>]*>([^<]+)<', html)]
    assert headers == ["domain", "cause", "deferrals", "failures", "first seen", "last seen", "example"]
    first = bodies(html)[0]
    assert "deferred.example.org" in first and "connection failed" in first
    assert re.search(r'<td class="text-nowrap font-monospace log-time">2026-11-25 13:\d\d:\d\d</td>', first)
    assert '<td class="text-end font-monospace text-nowrap">32</td>' in first


def test_the_newest_log_line_is_shown_and_an_old_one_is_a_warning(admin_client):
    html = query(admin_client, end="1795614100", limit="1")  # ends 28 s after the last line
    newest = re.search(r'data-testid="newest-line">(.*?)</p>', html, re.S).group(1)
    assert "Newest log line:" in newest and "2026-11-25 13:41:12" in newest and " ago)" in newest
    assert "stopped" not in newest and "alert" not in html.split('data-testid="newest-line"')[0][-80:]
    week = query(admin_client, **{**WEEK, "end": str(1795614073 + 3 * 86400)}, limit="1")
    stale = re.search(r'alert alert-warning py-2" data-testid="newest-line">(.*?)</p>', week, re.S)
    assert stale, week
    assert "3 days before the end of this period" in " ".join(stale.group(1).split()), stale.group(1)
    assert '<a href="/mailserver/mta/">MTA page</a> shows whether qmail-send' in stale.group(1)


def test_a_week_whose_data_sits_in_minutes_is_charted_over_those_minutes(admin_client):
    html = query(admin_client, **WEEK, limit="1")
    data = chart(html)
    assert data["bucket"] != "2 hours" and len(data["labels"]) > 12  # not one bar
    assert (sum(data["success"]), sum(data["deferral"]), sum(data["failure"])) == (426, 86, 101)
    assert data["labels"][0] <= "13:33:00" and data["labels"][-1] >= "13:41:00"


def test_show_failures_charts_only_failures(admin_client):
    data = chart(query(admin_client, report="show-failures", limit="1"))
    assert data["results"] == ["failure"] and sum(data["failure"]) == 101
    assert chart(query(admin_client, report="top-senders", limit="1"))["results"] == [
        "success",
        "deferral",
        "failure",
    ]


def test_the_reports_about_deferrals_and_failures_chart_only_those(admin_client):
    # A table of what failed beside a chart of 426 successes answered another question.
    assert chart(query(admin_client, report="top-failures", limit="1"))["results"] == ["failure"]
    assert chart(query(admin_client, report="top-deferrals", limit="1"))["results"] == ["deferral"]
    html = query(admin_client, report="deferrals-by-cause", limit="1")
    assert chart(html)["results"] == ["deferral", "failure"]
    assert "Deferrals and failures over time" in html


def test_the_chart_ends_at_the_newest_log_line_not_the_periods_end(admin_client):
    data = chart(query(admin_client, limit="1"))  # 13:00-14:00; the log has 13:33:02-13:41:12
    assert data["labels"][0] == "13:33:00" and data["labels"][-1] == "13:41:00"
    assert (sum(data["success"]), sum(data["deferral"]), sum(data["failure"])) == (426, 86, 101)


def test_a_page_past_the_last_row_says_so_and_leads_to_the_last_page(admin_client):
    # A bookmarked or shared page of a report that has fewer rows now (a shorter log, a filter).
    html = query(admin_client, limit="200", offset="5000")
    assert rows(html) == 0
    assert row_count(html) == "no rows past 613" and "Nothing in this period" not in html
    assert 'data-testid="next-page"' not in html
    back = follow(admin_client, html, "previous-page")
    assert row_count(back) == "rows 601-613 of 613"


def test_a_query_without_rows_shows_the_rows_it_runs_with(admin_client):
    # A bookmarked or hand-written URL without limit: the table has 500 rows, the field was empty.
    html = admin_client.get(URL, {**WHOLE, "report": "show-all"}).content.decode()
    field = re.search(r'<input[^>]*name="limit"[^>]*>', html)
    assert field and 'value="500"' in field.group(0)


def test_a_period_with_nothing_to_chart_says_so_instead_of_an_empty_chart(admin_client):
    # A stalled log's last hour was an empty grid of 60 buckets on an axis from 0 to 1.
    html = query(admin_client, start="1795600000", end="1795603600")
    assert 'data-testid="delivery-chart"' not in html
    assert "No deliveries in this period." in html
    # 13:33:00-13:34:00 has successes but no failure yet: show-failures has nothing to chart.
    failures = query(admin_client, report="show-failures", start="1795613580", end="1795613640")
    assert "No failures in this period." in failures and 'data-testid="delivery-chart"' not in failures
    assert 'data-testid="delivery-chart"' in query(admin_client, start="1795613580", end="1795613640")


def test_the_newest_rows_are_one_click_away_on_the_last_page(admin_client):
    # show-* rows run oldest first: on a busy server the newest were hundreds of Next clicks away.
    first = query(admin_client, limit="200")
    assert 'data-testid="first-page"' not in first
    last = follow(admin_client, first, "last-page")
    assert row_count(last) == "rows 601-613 of 613"
    assert 'data-testid="last-page"' not in last and 'data-testid="next-page"' not in last
    again = follow(admin_client, last, "first-page")
    assert row_count(again) == "rows 1-200 of 613"


def test_a_chart_of_failures_starts_at_the_first_failure(admin_client):
    # The empty buckets before the first result were trimmed by every result, not the charted one:
    # show-failures began with a minute of successes it does not draw.
    data = chart(query(admin_client, report="show-failures", limit="1"))
    assert data["labels"][0] == "13:34:00" and data["failure"][0] > 0  # the first failure: 13:34:24
    assert data["labels"][-1] == "13:41:00"  # up to the log's newest line, as before
    assert chart(query(admin_client, limit="1"))["labels"][0] == "13:33:00"
