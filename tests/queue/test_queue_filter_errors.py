"""The browse table's filter form says every bad field at once, in the words of its labels, and
puts the focus on the first one on the page."""

from __future__ import annotations

import html as markup
import re

import pytest

pytestmark = pytest.mark.django_db

URL = "/mailserver/queue/messages/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def error(page: str, name: str) -> str | None:
    found = re.search(rf'id="error_1_id_{name}"[^>]*>\s*<strong>(.*?)</strong>', page, re.S)
    return markup.unescape(found[1]) if found else None


def field(page: str, name: str) -> str:
    found = re.search(rf'<input[^>]*id="id_{name}"[^>]*>', page)
    assert found, f"no field {name}"
    return found[0]


def test_a_bad_age_and_a_bad_size_are_both_said_at_once(admin_client, roots):
    page = admin_client.get(URL, {"min_age": "2 dayz", "min_size": "abc"}, **HTMX).content.decode()
    assert error(page, "min_size") and "is not a size" in error(page, "min_size")
    assert error(page, "min_age")  # it came only after the size was put right
    assert "autofocus" in field(page, "min_age") and "autofocus" not in field(page, "min_size")


def test_ages_the_wrong_way_round_are_said_with_the_labels(admin_client, roots):
    page = admin_client.get(URL, {"min_age": "1 week", "max_age": "2 days"}, **HTMX).content.decode()
    assert error(page, "max_age") == (
        "No message is both older than 1 week and younger than 2 days: "
        '"Younger than" must be the longer time.'
    )  # it said "the largest age is smaller than the smallest" beside "Younger than"


def test_sizes_the_wrong_way_round_are_said_with_the_labels(admin_client, roots):
    page = admin_client.get(URL, {"min_size": "10 MB", "max_size": "100 KB"}, **HTMX).content.decode()
    assert error(page, "max_size") == (
        "No message is both larger than 10 MB and smaller than 100 KB: "
        '"Smaller than" must be the larger size.'
    )


def test_the_domain_filter_says_it_is_the_recipients(admin_client, roots):
    page = admin_client.get(URL, {"domain": "sink.example.net"}, **HTMX).content.decode()
    label = re.search(r'<label\s+for="id_domain"[^>]*>\s*([^<]*?)\s*<', page)
    assert label and label[1] == "Recipient domain"  # "Domain" read as the sender's too
    # 11 messages come from sink.example.net; the filter finds those with a recipient there.
    senders = re.findall(r'class="text-break queue-address">([^<]*)<', page)
    assert senders and not all(s.endswith("@sink.example.net") for s in senders)
