"""How the purge of the whole queue is asked for: in words, not as a part named "All"."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

PAGE = "/mailserver/queue/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def said(html: str) -> str:
    found = re.search(r'data-testid="purge-confirm">(.*?)<form', html, re.S)
    assert found, "no question asked"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found[1])).strip()


def test_purging_all_asks_about_the_whole_queue_and_an_empty_one_says_so(admin_client, roots):
    html = admin_client.post(f"{PAGE}purge/", {"queue": "all"}, **HTMX).content.decode()
    assert said(html).startswith("27 messages will be deleted from the whole queue: purging deletes")
    assert "from All" not in html
    admin_client.post(f"{PAGE}purge/", {"queue": "all", "confirm": "yes", "expect_count": "27"}, **HTMX)
    html = admin_client.post(f"{PAGE}purge/", {"queue": "all"}, **HTMX).content.decode()
    nothing = re.search(r'data-testid="purge-nothing">([^<]*)<', html)
    assert nothing and nothing[1] == "The queue holds no message: there is nothing to purge."  # "All holds …"


def test_purging_a_part_still_names_it(admin_client, roots):
    html = admin_client.post(f"{PAGE}purge/", {"queue": "todo"}, **HTMX).content.decode()
    assert said(html).startswith("2 messages will be deleted from Todo: purging deletes")
