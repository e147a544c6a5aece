"""Browsing the snapshot queue: filters validated as the agent validates them, sorting, one
message, and deleting or expiring messages, always after a dry run's count."""

from __future__ import annotations

import re

import pytest

from mailserver.core.models import Change
from mailserver.qmail.queue.layout import discover

pytestmark = pytest.mark.django_db

URL = "/mailserver/queue/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def ids_shown(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-testid="row-([0-9]+)"', html)]


def in_queue(roots) -> set[int]:
    return {int(p.name) for p in discover(roots.queue_dir).root.glob("mess/*/*")}


def test_the_table_lists_every_message_newest_first_with_its_recipients(admin_client, roots):
    html = admin_client.get(f"{URL}messages/", **HTMX).content.decode()
    shown = ids_shown(html)
    assert len(shown) == 27 and "Messages 1–27 of 27" in html
    arrivals = [int(v) for v in re.findall(r'value="[0-9]+:([0-9]+)"', html)]
    assert arrivals == sorted(arrivals, reverse=True)
    assert "gone8@reject.example.com" in html and "bouncing" in html
    assert "&lt;&gt;" in html  # the null sender of a bounce


def test_sorting_by_size_links_to_the_other_direction(admin_client, roots):
    html = admin_client.get(f"{URL}messages/", {"sort": "size", "desc": "0"}, **HTMX).content.decode()
    sizes = re.findall(r'<td class="text-end text-nowrap">([^<]*)</td>', html)
    assert sizes[0].endswith("bytes") and "KB" in sizes[-1]
    header = re.search(r'<th[^>]*aria-sort="([a-z]+)"><a[^>]*data-testid="sort-([a-z]+)"', html)
    assert header and header.groups() == ("ascending", "size")
    assert "sort=size&amp;desc=1" in html  # clicking again sorts largest first


def test_filtering_by_sender_lists_only_its_messages_and_offers_to_delete_them(admin_client, roots):
    html = admin_client.get(f"{URL}messages/", {"sender": "news@sink.example.net"}, **HTMX).content.decode()
    shown = ids_shown(html)
    assert shown and len(shown) < 27 and "matching the filter" in html
    assert 'data-testid="delete-matching"' in html


def test_a_bad_age_filter_is_refused_beside_its_field(admin_client, roots):
    html = admin_client.get(f"{URL}messages/", {"min_age": "2 fortnights"}, **HTMX).content.decode()
    field = re.search(r'<input[^>]*id="id_min_age"[^>]*>', html)
    assert field and "is-invalid" in field[0]
    assert "fortnights" in re.search(r'id="error_1_id_min_age"[^>]*>(.*?)</', html, re.S)[1]
    assert 'value="2 fortnights"' in html  # kept as typed
    assert not ids_shown(html)


def test_a_size_with_a_unit_filters_and_a_bad_domain_is_refused(admin_client, roots):
    html = admin_client.get(f"{URL}messages/", {"min_size": "4 KB"}, **HTMX).content.decode()
    assert 0 < len(ids_shown(html)) < 27
    html = admin_client.get(f"{URL}messages/", {"domain": "bad domain"}, **HTMX).content.decode()
    assert 'id="error_1_id_domain"' in html and not ids_shown(html)


def test_a_message_shows_its_headers_body_and_bounce_text(admin_client, roots):
    html = admin_client.get(f"{URL}messages/1466748/", **HTMX).content.decode()
    assert "alice@example.test" in html
    assert 'data-testid="message-headers"' in html and 'data-testid="message-body"' in html
    assert "gone8@reject.example.com" in re.search(r'data-testid="message-bounce">(.*?)</pre>', html, re.S)[1]
    missing = admin_client.get(f"{URL}messages/1/").content.decode()
    assert "is not in the queue" in missing


def test_deleting_selected_messages_asks_with_the_count_then_deletes_only_them(admin_client, roots):
    html = admin_client.get(f"{URL}messages/", **HTMX).content.decode()
    values = re.findall(r'name="row" value="([0-9]+:[0-9]+)"', html)[:2]
    chosen = {int(v.split(":")[0]) for v in values}
    before = in_queue(roots)
    html = admin_client.post(f"{URL}delete/", {"row": values, "mode": "selected"}, **HTMX).content.decode()
    assert "2 messages will be deleted" in html
    assert in_queue(roots) == before and not Change.objects.exists()

    response = admin_client.post(
        f"{URL}delete/",
        {"row": values, "mode": "selected", "confirm": "yes", "expect_count": "2"},
        **HTMX,
    )
    assert "2 messages deleted" in response.content.decode()
    assert in_queue(roots) == before - chosen
    assert response["HX-Trigger-After-Settle"] == "stats-stale"
    assert Change.objects.get(target="queue").action == "delete"


def test_a_reused_number_is_skipped_not_deleted(admin_client, roots):
    html = admin_client.post(
        f"{URL}delete/",
        {"row": "1466748:1000", "mode": "selected", "confirm": "yes", "expect_count": "0"},
        **HTMX,
    ).content.decode()
    assert "0 messages deleted" in html and "Left alone: 1 (a newer message has this number)." in html
    assert 1466748 in in_queue(roots)


def test_deleting_every_match_counts_first_and_refuses_a_stale_count(admin_client, roots):
    query = "sender=news%40sink.example.net"
    html = admin_client.get(f"{URL}messages/?{query}", **HTMX).content.decode()
    matching = set(ids_shown(html))
    html = admin_client.post(f"{URL}delete/", {"mode": "matching", "query": query}, **HTMX).content.decode()
    assert f"{len(matching)} message" in html and "every message matching the filter" in html
    stale = admin_client.post(
        f"{URL}delete/",
        {"mode": "matching", "query": query, "confirm": "yes", "expect_count": str(len(matching) + 1)},
        **HTMX,
    ).content.decode()
    assert "you confirmed" in stale and matching <= in_queue(roots)
    admin_client.post(
        f"{URL}delete/",
        {"mode": "matching", "query": query, "confirm": "yes", "expect_count": str(len(matching))},
        **HTMX,
    )
    assert not matching & in_queue(roots)


def test_deleting_every_message_without_a_filter_is_refused(admin_client, roots):
    html = admin_client.post(f"{URL}delete/", {"mode": "matching", "query": ""}, **HTMX).content.decode()
    assert "purge of All" in html and len(in_queue(roots)) == 27


def test_expiring_a_selected_message_makes_it_bounce_on_the_next_pass(admin_client, roots):
    html = admin_client.post(f"{URL}expire/", {"row": "1466719:1795613664"}, **HTMX).content.decode()
    assert "1 message will expire now and bounce at the next try (Process the queue now makes" in html
    html = admin_client.post(
        f"{URL}expire/", {"row": "1466719:1795613664", "confirm": "yes", "expect_count": "1"}, **HTMX
    ).content.decode()
    assert "1 message expired" in html
    # not "now": qmail-send tries it again only at its next scheduled retry, maybe hours away
    assert "An expired message bounces at its next try: Process the queue now makes that now." in html
    assert Change.objects.get(target="queue").action == "expire"
    assert 1466719 in in_queue(roots)  # expired, not deleted


def test_a_page_past_the_last_of_the_queue_says_so_instead_of_counting_backwards(admin_client, roots):
    # As after deleting every row of the last page: the table comes back on the same page number.
    html = admin_client.get(f"{URL}messages/", {"page": "2"}, **HTMX).content.decode()
    summary = re.search(r'data-testid="browse-summary">([^<]*)<', html)
    assert summary and summary[1] == "No message past the 27: page 2 is past the last page (1)."
    assert "Messages 51–27" not in html and "Page 2 of 1" not in html
    assert 'data-testid="queue-table"' not in html  # no empty table of headers
    previous = re.search(r'href="([^"]*)"[^>]*data-testid="page-previous"', html)
    assert previous and previous[1] == "/mailserver/queue/?sort=arrived&amp;desc=1#queue-browse"  # page 1


@pytest.mark.parametrize(
    ("zone", "said", "arrived"),
    [("UTC", "UTC", "2026-11-25 13:34:26 UTC"), ("Europe/Berlin", "CET", "2026-11-25 14:34:26 CET")],
)
def test_the_times_of_the_table_and_of_a_message_say_their_time_zone(
    admin_client, roots, settings, zone, said, arrived
):
    settings.TIME_ZONE = zone  # the panel's (NODEWORX_TIME_ZONE); qmail-qread says GMT
    html = admin_client.get(f"{URL}messages/", **HTMX).content.decode()
    assert re.search(rf'data-testid="browse-zone">Times in {said}\.<', html)
    html = admin_client.get(f"{URL}messages/1466748/", **HTMX).content.decode()
    assert arrived in html


def test_a_message_past_the_queue_lifetime_is_marked_expired(admin_client, roots):
    lifetime = roots.qmail / "control" / "queuelifetime"
    lifetime.write_text("86400\n")  # a day: the snapshot's messages arrived on 2026-11-25
    html = admin_client.get(f"{URL}messages/", **HTMX).content.decode()
    row = re.search(r'<tr data-testid="row-1466748">.*?</tr>', html, re.S)
    assert row and re.search(r">expired</span> 2026-11-26 13:34<", row[0])  # a bare past time read as to come
    html = admin_client.get(f"{URL}messages/1466748/", **HTMX).content.decode()
    expired = re.search(r'data-testid="message-expired">([^<]*)<', html)
    assert expired and expired[1].startswith("2026-11-26 13:34 UTC: past the queue lifetime")

    lifetime.write_text("31536000\n")  # a year
    html = admin_client.get(f"{URL}messages/", **HTMX).content.decode()
    assert ">expired<" not in html
    html = admin_client.get(f"{URL}messages/1466748/", **HTMX).content.decode()
    assert "message-expired" not in html and ">Expires<" in html


def test_deleting_every_matching_message_names_the_filter_it_will_use(admin_client, roots):
    # The filter fields may hold something typed but not applied: the question says which filter counts.
    query = "sender=news%40sink.example.net"
    html = admin_client.post(f"{URL}delete/", {"mode": "matching", "query": query}, **HTMX).content.decode()
    what = re.search(r'data-testid="confirm-what">([^<]*)<', html)
    assert what and what[1] == "sender news@sink.example.net"
    assert "deleted</strong>: every message matching the filter applied to the table" in html
