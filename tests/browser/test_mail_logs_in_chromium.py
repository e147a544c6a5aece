"""An admin opens Mail Logs, runs reports, follows their progress, cancels one, pages, sorts,
opens a message's timeline under its row; and the table stays readable 400 px wide."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import log_in, settled

pytestmark = [pytest.mark.browser, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("NODEWORX_SCREENSHOTS", REPO / "test-results"))
CAPTURED = {"start": "1795613580", "end": "1795613700"}  # 13:33-13:35 UTC, the first minutes of the logs


def run_query(page, report: str, rows: str = "25", **period: str) -> None:
    page.locator("#id_preset").select_option("range")
    page.get_by_label("Start", exact=True).fill(period.get("start", CAPTURED["start"]))
    page.get_by_label("End", exact=True).fill(period.get("end", CAPTURED["end"]))
    page.locator("#id_report").select_option(report)
    page.get_by_label("Rows", exact=True).fill(rows)
    page.get_by_test_id("run-report").click()


def test_admin_runs_show_all_pages_sorts_and_opens_a_timeline_under_its_row(logged_in_page, roots):
    page = logged_in_page
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.get_by_role("link", name="Mail Logs").click()
    page.wait_for_url("**/mailserver/logs/")
    expect(page.get_by_test_id("index-state")).to_be_visible()  # the index box loads after the page
    expect(page.get_by_test_id("option-detail")).to_be_visible()
    expect(page.get_by_test_id("option-by")).to_be_hidden()

    run_query(page, "show-all")
    rows = page.get_by_test_id("report-row")
    expect(rows).to_have_count(25)
    expect(page.get_by_test_id("row-count")).to_have_text(re.compile(r"^rows 1-25 of \d+$"))
    expect(page.get_by_test_id("newest-line")).to_contain_text("Newest log line: 2026-11-25 13:41:12")
    expect(page.get_by_test_id("delivery-chart")).to_have_attribute("data-drawn", "true")
    assert "preset=range" in page.url  # the query is in the URL: reload or share it

    page.get_by_test_id("next-page").click()
    expect(page.get_by_test_id("row-count")).to_have_text(re.compile(r"^rows 26-50 of \d+$"))
    assert "offset=25" in page.url

    link = page.get_by_test_id("timeline-link").nth(2)
    link.click()
    opened = page.locator("[data-testid=report-row]:nth-child(3) + tr.timeline-row")  # right under its row
    expect(opened.locator('[data-kind="arrival"]')).to_have_count(1)
    expect(opened.locator('[data-kind="end"]')).to_contain_text("left the queue")
    expect(opened).to_be_in_viewport()
    expect(page.get_by_label("Start", exact=True)).to_have_value(CAPTURED["start"])  # the form stays as typed
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "mail-logs.png"), full_page=True)
    link.click()  # a second click closes it
    expect(page.locator("tr.timeline-row")).to_have_count(0)

    page.locator("#id_report").select_option("top-senders")
    expect(page.get_by_test_id("option-detail")).to_be_hidden()
    expect(page.get_by_test_id("option-channel")).to_be_visible()
    page.get_by_test_id("run-report").click()
    expect(page.get_by_test_id("row-count")).to_contain_text(", by messages")
    page.get_by_test_id("sort-bytes").click()
    expect(page.get_by_test_id("row-count")).to_contain_text(", by bytes")
    page.get_by_test_id("sort-bytes").click()
    expect(page.get_by_test_id("row-count")).to_contain_text(", by bytes (reversed)")


def test_at_400_px_a_row_is_a_line_or_two_and_the_table_scrolls_sideways(logged_in_page, roots):
    page = logged_in_page
    page.set_viewport_size({"width": 400, "height": 800})
    page.goto(page.url.split("/mailserver/")[0] + "/mailserver/logs/")
    run_query(page, "show-failures", rows="20", start="1795611600", end="1795615200")
    rows = page.get_by_test_id("report-row")
    expect(rows).to_have_count(20)
    heights = [rows.nth(i).bounding_box()["height"] for i in range(20)]
    assert max(heights) < 200, heights  # it was 400 px: every column squeezed to a word
    table = page.locator(".log-table")
    assert table.evaluate("el => el.scrollWidth > el.clientWidth")  # wide: it scrolls, the page does not
    assert page.evaluate("document.documentElement.scrollWidth") <= 400 + 1
    page.get_by_test_id("timeline-link").first.click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_be_visible()
    box = timeline.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 400 + 1  # readable without scrolling sideways
    page.screenshot(path=str(SCREENSHOTS / "mail-logs-400.png"), full_page=True)


# -- a report that takes seconds: progress, Cancel --------------------------------------------
# The agent runs in process here (as in the page tests), reading a log directory of this test's
# own: the test server's log files and a big generated log, hard-linked.
BIG = "150M"


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("big") / "send"
    subprocess.run(
        [sys.executable, str(REPO / "bench/logs_generate.py"), str(where), "--size", BIG],
        check=True, capture_output=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    return where


@pytest.fixture
def server_with_big_log(agent_in_process, big_log, tmp_path, monkeypatch):
    """The test server's send log with the generated log's files as older rotated files, in a
    directory of its own that the in-process agent reads: the stack's log follower keeps the
    test server's log, and would keep these rows in its index after the files are gone."""
    from mailserver.agent import logs_ops
    from mailserver.qmail.logs.tai64n import stamp, to_unix

    send = tmp_path / "send"
    send.mkdir()
    for source in agent_in_process.log_dir("send").iterdir():
        if source.is_file() and not source.is_symlink():
            os.link(source, send / source.name)
    monkeypatch.setattr(logs_ops, "_log_dir", lambda: send)
    for source in sorted(big_log.iterdir()):
        if source.name == "current":  # multilog names a rotated file by when it was rotated
            data = source.read_bytes()
            tail = data[data.rstrip(b"\n").rfind(b"\n") + 1 :]
            name = f"{stamp(to_unix(tail[1:25]) + 1)}.s"
        else:
            name = source.name
        os.link(source, send / name)
    return agent_in_process


@pytest.fixture
def in_process_page(page, live_server, admin_user, server_with_big_log):
    log_in(page, f"{live_server.url}/mailserver/logs/")
    return page


LONG = "/mailserver/logs/?preset=range&start=1794990000&end=1795620000&report=show-all&limit=50&source=log"


def test_a_long_report_shows_its_progress_and_cancel_stops_it(in_process_page, live_server):
    page = in_process_page
    page.set_viewport_size({"width": 1400, "height": 1000})
    # Read from the log (not an index): a week of the generated log takes seconds.
    page.goto(live_server.url + LONG)
    progress = page.locator("[data-testid=report-progress][data-percent]")
    expect(progress).to_be_visible(timeout=10_000)
    first = float(progress.get_attribute("data-percent"))
    page.wait_for_function(
        f"() => parseFloat(document.querySelector('[data-testid=report-progress]')"
        f"?.dataset.percent ?? '0') > {first}"
    )  # the bar moves
    assert page.locator("progress.report-bar").get_attribute("value") is not None
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "mail-logs-progress.png"))
    page.get_by_test_id("cancel-report").click()
    expect(page.get_by_test_id("report-cancelled")).to_have_text("Cancelled.")
    expect(page.get_by_test_id("results")).to_have_count(0)
    expect(page.get_by_label("Start", exact=True)).to_have_value("1794990000")  # the form as it was

    run_query(page, "show-all", rows="20")  # a short stretch: the table comes
    expect(page.get_by_test_id("report-row")).to_have_count(20)
    expect(page.get_by_test_id("report-progress")).to_have_count(0)


def test_a_new_query_while_a_report_runs_stops_it_and_shows_its_own(in_process_page, live_server):
    from mailserver.core import agent
    from mailserver.protocol import Op

    page = in_process_page
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(live_server.url + LONG)
    expect(page.locator("[data-testid=report-progress][data-percent]")).to_be_visible(timeout=10_000)
    replaced = re.search(r"report_id=([A-Za-z0-9_-]+)", page.locator("#report-run").get_attribute("hx-get"))
    assert replaced
    run_query(page, "show-all", rows="20")
    # Its table comes once the long report has seen it is replaced (at its next progress step):
    # seconds when the machine is busy.
    expect(page.get_by_test_id("report-row")).to_have_count(20, timeout=20_000)
    state = agent.call(Op.LOGS_PROGRESS, {"report_id": replaced.group(1)})
    deadline = time.monotonic() + 10
    while not state["finished"] and time.monotonic() < deadline:
        time.sleep(0.2)
        state = agent.call(Op.LOGS_PROGRESS, {"report_id": replaced.group(1)})
    assert state["phase"] == "cancelled"
    page.wait_for_timeout(1000)  # its "cancelled" answer has come back by now, and was dropped
    expect(page.get_by_test_id("report-row")).to_have_count(20)
    expect(page.get_by_test_id("report-cancelled")).to_have_count(0)


# -- keyboard, and a timeline taller than the table's box ---------------------------------------


def test_by_keyboard_focus_stays_on_the_header_the_pager_or_the_button_pressed(logged_in_page, roots):
    # The answer replaces the panel: focus fell to the page's top and Tab started at the skip link.
    page = logged_in_page
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(page.url.split("/mailserver/")[0] + "/mailserver/logs/")
    run_query(page, "top-senders")
    expect(page.get_by_test_id("row-count")).to_contain_text(", by messages")
    settled(page)
    page.get_by_test_id("sort-bytes").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("row-count")).to_contain_text(", by bytes")
    expect(page.get_by_test_id("sort-bytes")).to_be_focused()
    settled(page)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("row-count")).to_contain_text(", by bytes (reversed)")
    expect(page.get_by_test_id("sort-bytes")).to_be_focused()

    run_query(page, "show-all")
    expect(page.get_by_test_id("row-count")).to_have_text(re.compile(r"^rows 1-25 of \d+$"))
    settled(page)
    page.get_by_test_id("next-page").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("row-count")).to_have_text(re.compile(r"^rows 26-50 of \d+$"))
    expect(page.get_by_test_id("next-page")).to_be_focused()

    settled(page)
    page.get_by_test_id("run-report").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("row-count")).to_have_text(re.compile(r"^rows 1-25 of \d+$"))
    expect(page.get_by_test_id("run-report")).to_be_focused()


def test_a_timeline_taller_than_the_tables_box_opens_with_its_row_and_head_in_view(logged_in_page, roots):
    page = logged_in_page
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(page.url.split("/mailserver/")[0] + "/mailserver/logs/")
    run_query(page, "show-all", rows="100")
    expect(page.get_by_test_id("report-row")).to_have_count(100)
    link = page.get_by_test_id("timeline-link").nth(30)  # message 1466748: a dozen events
    link.click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator('[data-kind="end"]')).to_have_count(1)
    page.wait_for_timeout(300)  # settled
    box = page.locator(".log-table").bounding_box()
    assert timeline.bounding_box()["height"] > box["height"]  # the case: it cannot all be in view
    head = page.locator(".log-table thead").bounding_box()
    row = page.locator("[data-testid=report-row]").nth(30).bounding_box()
    # The row clicked and the timeline's own head show below the table's sticky header.
    assert row["y"] >= head["y"] + head["height"] - 1, (row, head)
    assert row["y"] + row["height"] <= box["y"] + box["height"]
    assert timeline.locator(".card-header").bounding_box()["y"] >= head["y"] + head["height"] - 1


def test_a_screen_reader_hears_what_each_answer_was(logged_in_page, roots):
    # The answer replaces the whole panel: without a live region outside it, nothing was read.
    page = logged_in_page
    page.goto(page.url.split("/mailserver")[0] + "/mailserver/logs/")
    region = page.get_by_test_id("report-announce")
    expect(region).to_have_attribute("role", "status")
    run_query(page, "top-senders")
    expect(page.get_by_test_id("report-row").first).to_be_visible()
    expect(region).to_have_text(re.compile(r"^top-senders: rows 1-\d+ of \d+, by messages\.$"))
    run_query(page, "show-all", start="2026-13-45 10:00")
    expect(region).to_have_text('Not run: "2026-13-45 10:00" is not a date: use YYYY-MM-DD HH:MM')


# -- Back and Forward: what was shown comes back; the log is not read again unasked ---------------


@pytest.fixture
def history_page(logged_in_page, roots):
    """The page, counting the reports the browser asks for (run/) and any Content-Security-Policy
    refusal."""
    page = logged_in_page
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(page.url.split("/mailserver/")[0] + "/mailserver/logs/")
    page.runs = []
    page.refused = []
    page.on("request", lambda request: "/logs/run/" in request.url and page.runs.append(request.url))
    page.on(
        "console", lambda message: "Content Security Policy" in message.text and page.refused.append(message)
    )
    return page


def test_back_and_forward_bring_back_the_reports_shown_without_reading_the_log_again(history_page):
    page = history_page
    kept = page.get_by_test_id("report-kept")
    run_query(page, "show-all")
    expect(page.get_by_test_id("report-row")).to_have_count(25)
    expect(kept).to_be_hidden()  # a result just read says nothing of the kind
    run_query(page, "top-senders")
    expect(page.get_by_test_id("row-count")).to_contain_text(", by messages")
    assert len(page.runs) == 2

    page.go_back()  # within the page: htmx's snapshot
    expect(page.get_by_test_id("report-name")).to_have_text("show-all")
    expect(page.get_by_test_id("report-row")).to_have_count(25)
    expect(kept).to_be_visible()
    expect(kept).to_contain_text("This report as it was read at ")
    expect(page.get_by_test_id("delivery-chart")).to_have_attribute("data-drawn", "true")
    page.go_forward()
    expect(page.get_by_test_id("report-name")).to_have_text("top-senders")
    expect(kept).to_be_visible()

    # To another page and back: the browser loads the report's URL again, which used to run it
    # (or showed htmx's panel alone, from its cache, as the whole page).
    page.get_by_role("link", name="MTA").first.click()
    page.wait_for_url("**/mailserver/mta/")
    page.go_back()
    expect(page.get_by_test_id("report-name")).to_have_text("top-senders")
    expect(page.get_by_test_id("row-count")).to_contain_text(", by messages")
    expect(kept).to_be_visible()
    expect(page.get_by_test_id("report-announce")).to_contain_text("This report as it was read at ")
    expect(page.get_by_role("link", name="MTA").first).to_be_visible()  # the whole page, not a panel
    page.go_back()
    expect(page.get_by_test_id("report-name")).to_have_text("show-all")
    expect(page.get_by_test_id("delivery-chart")).to_have_attribute("data-drawn", "true")
    page.wait_for_timeout(500)  # a report started would have asked by now
    assert len(page.runs) == 2
    assert page.refused == []  # a snapshot of Chart.js's canvas carried a style attribute

    page.get_by_test_id("run-report").click()  # asked: read again
    expect(kept).to_be_hidden()
    expect(page.get_by_test_id("report-row")).to_have_count(25)
    assert len(page.runs) == 3


def test_back_to_a_report_whose_result_was_not_kept_waits_for_run_report(history_page):
    page = history_page
    run_query(page, "top-senders")
    expect(page.get_by_test_id("row-count")).to_contain_text(", by messages")
    page.get_by_role("link", name="MTA").first.click()
    page.wait_for_url("**/mailserver/mta/")
    page.evaluate("sessionStorage.clear()")  # nothing kept (another tab's, or too big to keep)

    page.go_back()

    held = page.get_by_test_id("report-held")
    expect(held).to_contain_text(
        "This report's result was not kept, and Back or Forward does not read the log"
    )
    expect(page.get_by_test_id("report-progress")).to_have_count(0)
    expect(page.locator("#id_report")).to_have_value("top-senders")  # the form holds the query
    expect(page.get_by_test_id("report-announce")).to_contain_text("This report's result was not kept")
    page.wait_for_timeout(500)
    assert len(page.runs) == 1

    page.get_by_test_id("run-report").click()
    expect(page.get_by_test_id("row-count")).to_contain_text(", by messages")
    expect(held).to_have_count(0)
    assert len(page.runs) == 2


def test_back_without_htmxs_snapshot_loads_the_page_and_brings_back_the_result_kept(history_page):
    page = history_page
    run_query(page, "show-all")
    expect(page.get_by_test_id("report-row")).to_have_count(25)
    run_query(page, "top-senders")
    expect(page.get_by_test_id("row-count")).to_contain_text(", by messages")
    page.evaluate("sessionStorage.removeItem('htmx-history-cache')")  # htmx's snapshots gone

    page.go_back()

    expect(page.get_by_test_id("report-name")).to_have_text("show-all")
    expect(page.get_by_test_id("report-kept")).to_be_visible()
    expect(page.get_by_role("link", name="MTA").first).to_be_visible()  # the whole page
    page.wait_for_timeout(500)
    assert len(page.runs) == 2
