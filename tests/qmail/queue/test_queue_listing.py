"""Browsing the snapshot: each filter and sort selects what an admin means by it."""

from __future__ import annotations

import os

import pytest

from mailserver.qmail.queue import listing, request
from mailserver.qmail.queue.routing import route_for
from tests.support.queues import SNAPSHOT_NOW

LIFETIME = 604800


def ids(snapshot, now=SNAPSHOT_NOW, **filters) -> set[int]:
    return set(listing.matching_ids(snapshot, request.filters(filters), now))


def test_without_filters_every_message_with_an_info_or_todo_file(snapshot):
    assert len(ids(snapshot)) == 27


def test_sender_patterns(snapshot):
    assert ids(snapshot, sender="bob@example.test") == {1466841}
    assert ids(snapshot, sender="BOB@Example.Test") == {1466841}  # case is ignored
    assert ids(snapshot, sender="@reject.example.com") == {1466942, 1466983}
    assert ids(snapshot, sender="*@*.example.net") == ids(snapshot, sender="@sink.example.net")
    assert ids(snapshot, sender="<>") == {1466721}  # the bounce, whose sender is empty
    assert ids(snapshot, sender="alice@example") == set()  # an address is matched whole


def test_recipient_and_domain(snapshot):
    assert ids(snapshot, recipient="carol@example.test") == {
        1466831,
        1466924,
        1466856,
        1466910,
        1466885,
        1466766,
    }
    assert ids(snapshot, domain="deferred.example.org") == {
        1466942,
        1466945,
        1466808,
        1466791,
        1467024,
        1466748,
        1466983,
        1466984,
        1466767,
    }
    # a recipient already done still belongs to its message, as qmail-qread lists it
    assert 1466721 in ids(snapshot, recipient="user1@sink.example.net")


def test_parts_of_the_queue(snapshot):
    assert ids(snapshot, select="local") == {1466885, 1466910, 1466831, 1466924, 1466856}
    assert len(ids(snapshot, select="remote")) == 20
    assert ids(snapshot, select="todo") == {1466766, 1466767}
    assert ids(snapshot, select="bouncing") == {1466748, 1466874, 1467024, 1467062}


def test_age_and_size(snapshot):
    assert ids(snapshot, max_age=60) == {1466766, 1466767}  # arrived in the last minute (13:38:22)
    assert ids(snapshot, min_age="4 minutes") == ids(snapshot) - ids(snapshot, max_age=239)
    assert ids(snapshot, min_size=40000) == {1466841, 1466924}
    assert ids(snapshot, max_size=600) == {1466718, 1466719, 1466766, 1466767}
    assert ids(snapshot, min_size=1000, max_size=1100, sender="@mail.example.test") == {1466886}


def test_newest_first_and_paging(snapshot):
    first = listing.page(snapshot, listing.Filters(), now=SNAPSHOT_NOW, lifetime=LIFETIME, limit=5)
    second = listing.page(snapshot, listing.Filters(), now=SNAPSHOT_NOW, lifetime=LIFETIME, offset=5, limit=5)
    everything = listing.page(snapshot, listing.Filters(), now=SNAPSHOT_NOW, lifetime=LIFETIME, limit=None)
    assert first.total == second.total == 27
    arrivals = [m.arrived for m in everything.messages]
    assert arrivals == sorted(arrivals, reverse=True)
    assert [m.id for m in first.messages + second.messages] == [m.id for m in everything.messages[:10]]


@pytest.mark.parametrize("sort", listing.SORTS)
def test_every_sort_orders_all_messages(snapshot, sort):
    found = listing.page(
        snapshot,
        listing.Filters(),
        now=SNAPSHOT_NOW,
        lifetime=LIFETIME,
        sort=sort,
        descending=False,
        limit=None,
    )
    keys = {
        "arrived": lambda m: m.arrived,
        "size": lambda m: m.size,
        "sender": lambda m: m.sender.lower(),
        "id": lambda m: m.id,
        "recipients": lambda m: len(m.recipients),
    }[sort]
    assert [keys(m) for m in found.messages] == sorted(keys(m) for m in found.messages)
    assert len(found.messages) == 27


def test_a_message_gone_since_it_was_selected_is_left_out_of_the_page(snapshot):
    selection = listing.Selection(snapshot)
    selection.entries()  # the index has read the info files
    os.unlink(snapshot.path("info", 1466718))
    page = listing.page(snapshot, listing.Filters(), now=SNAPSHOT_NOW, lifetime=LIFETIME, limit=None)
    assert 1466718 not in {m.id for m in page.messages}


def test_recipients_not_yet_preprocessed_get_the_channel_qmail_send_will_give_them(snapshot):
    qmail_root = snapshot.root.parent
    (qmail_root / "control").mkdir()
    (qmail_root / "control" / "locals").write_text("localhost\nexample.test\n")
    (qmail_root / "control" / "virtualdomains").write_text("sink.example.net:sinkuser\n")
    page = listing.page(
        snapshot,
        request.filters({"select": "todo"}),
        now=SNAPSHOT_NOW,
        lifetime=LIFETIME,
        route=route_for(qmail_root),
    )
    channels = {(r.address, r.channel) for m in page.messages for r in m.recipients}
    assert channels == {
        ("carol@example.test", "local"),  # control/locals
        ("user7@sink.example.net", "local"),  # virtualdomains with a prefix
        ("bob@example.test", "local"),
        ("client4@deferred.example.org", "remote"),
    }


@pytest.mark.parametrize(
    ("pattern", "address", "matches"),
    [
        ("a*@example.test", "alice@example.test", True),
        ("a*@example.test", "bob@example.test", False),
        ("*ice@*", "alice@example.test", True),
        ("*@*.example.*", "x@sub.example.org", True),
        ("ab*ba", "aba", False),  # the two ends may not overlap
        ("*", "", True),
        ("<>", "", True),
        ("<>", "a@b", False),
        ("@example.test", "x@sub.example.test", False),
    ],
)
def test_patterns(pattern, address, matches):
    assert listing.Pattern.of(pattern).matches(address) is matches


def test_a_pattern_of_many_stars_is_matched_part_by_part():
    """A regular expression would backtrack through every way to place 150 stars (for ever, here)."""
    pattern = listing.Pattern.of("*a" * 150 + "*b")
    assert not pattern.matches("a" * 300)
    assert pattern.matches("a" * 300 + "b")
