"""The browse table's page and sort links keep the filters (the snapshot has fewer than 50 messages,
so paging is shown here over a listing's figures)."""

from __future__ import annotations

from django.http import QueryDict

from mailserver.queue.forms import FilterForm
from mailserver.queue.present import page_links, sort_links


def form(query: str) -> FilterForm:
    found = FilterForm(QueryDict(query))
    assert found.is_valid(), found.errors
    return found


def test_page_two_of_three_links_both_ways_and_keeps_the_filter():
    links = page_links(form("sender=news%40sink.example.net&page=2"), {"total": 120, "offset": 50})
    assert (links["first_row"], links["last_row"], links["last"]) == (51, 100, 3)
    assert links["previous"] == "sender=news%40sink.example.net&sort=arrived&desc=1"
    assert links["next"] == "sender=news%40sink.example.net&sort=arrived&desc=1&page=3"
    assert links["filtered"] is True


def test_the_last_page_has_no_next_and_an_empty_queue_shows_no_rows():
    assert page_links(form("page=3"), {"total": 120, "offset": 100})["next"] is None
    empty = page_links(form(""), {"total": 0, "offset": 0})
    assert (empty["first_row"], empty["last_row"], empty["last"], empty["previous"]) == (0, 0, 1, None)


def test_sorting_again_by_the_same_column_turns_it_round_and_starts_at_page_one():
    links = sort_links(form("sort=size&desc=1&page=2&domain=example.com"))
    assert links["size"]["active"] and links["size"]["query"] == "domain=example.com&sort=size&desc=0"
    assert links["sender"]["query"] == "domain=example.com&sort=sender&desc=0"  # a-z first
    assert links["arrived"]["query"].endswith("sort=arrived&desc=1")  # newest first


def test_a_page_past_the_last_says_so_and_previous_leads_to_the_last_page():
    links = page_links(form("page=4"), {"total": 120, "offset": 150})
    assert links["past_end"] is True and (links["first_row"], links["last_row"]) == (0, 0)
    assert links["previous"] == "sort=arrived&desc=1&page=3"  # the last page with messages, not page 3 of 2
    assert page_links(form("page=9"), {"total": 27, "offset": 400})["previous"] == "sort=arrived&desc=1"
