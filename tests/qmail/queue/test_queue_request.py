"""What the page, the agent and mailqueue may ask: every refusal names its field."""

from __future__ import annotations

import pytest

from mailserver.qmail.errors import FieldError
from mailserver.qmail.queue import request


def refused(function, payload) -> str:
    with pytest.raises(FieldError) as error:
        function(payload)
    return error.value.field


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"ids": []}, "ids"),
        ({"ids": ["1466718"]}, "ids"),  # numbers, never strings (never a path)
        ({"ids": [True]}, "ids"),
        ({"ids": [0]}, "ids"),
        ({"ids": [2**64]}, "ids"),
        ({"ids": [1], "filters": {"sender": "a@b"}}, "ids"),
        ({}, "ids"),
        ({"filters": {}}, "filters"),  # deleting everything is a purge
        ({"filters": {"sender": "a b@example.test"}}, "sender"),
        ({"filters": {"sender": "<a@b>"}}, "sender"),
        ({"filters": {"bogus": 1}}, "filters"),
        ({"filters": {"min_age": "3 hours 5 minutes"}}, "min_age"),
        ({"filters": {"min_age": -1}}, "min_age"),
        ({"filters": {"min_size": 10, "max_size": 5}}, "max_size"),
        ({"filters": {"select": "deferred"}}, "select"),
        ({"filters": {"domain": "exa mple.com"}}, "domain"),
        ({"ids": [1], "arrived": {"x": 5}}, "arrived"),
        ({"ids": [1], "expect_count": -1}, "expect_count"),
        ({"ids": [1], "dry_run": "yes"}, "dry_run"),
    ],
)
def test_bad_delete_requests(payload, field):
    assert refused(request.delete_request, payload) == field


def test_good_requests():
    wanted = request.delete_request(
        {"filters": {"sender": "*@spam.example", "min_age": "2 days"}, "dry_run": True}
    )
    assert wanted.filters is not None and wanted.filters.min_age == 172800 and wanted.dry_run
    assert request.delete_request({"ids": [5, 5, 7], "arrived": {"5": 100}}).ids == (5, 7)
    assert request.purge_request({"queue": "todo", "expect_count": 2}).expect_count == 2
    listed = request.list_request({"sort": "size", "limit": 500})
    assert (listed.sort, listed.descending, listed.limit) == ("size", True, 500)
    assert request.list_request({}).limit == 50


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"sort": "subject"}, "sort"),
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -5}, "offset"),
        ({"descending": 1}, "descending"),
    ],
)
def test_bad_list_requests(payload, field):
    assert refused(request.list_request, payload) == field


GOOD = {"from": "alice@example.test", "to": ["bob@example.test"], "subject": "Test", "body": "hello"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"from": "-fevil@example.test"}, "from"),  # an option for qmail-inject
        ({"from": "alice"}, "from"),
        ({"to": ["--"]}, "to"),
        ({"to": ["bob@example.test", "-h"]}, "to"),
        ({"to": []}, "to"),
        ({"to": [f"u{n}@example.test" for n in range(21)]}, "to"),
        ({"to": ["a b@example.test"]}, "to"),
        ({"subject": "two\nlines"}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"body": "x" * (64 * 1024 + 1)}, "body"),
        ({"body": "nul\0byte"}, "body"),
    ],
)
def test_bad_test_messages(change, field):
    assert refused(request.inject_request, {**GOOD, **change}) == field


def test_a_test_message_to_several_recipients():
    wanted = request.inject_request({**GOOD, "to": "bob@example.test, carol@Example.Test"})
    assert wanted.recipients == ("bob@example.test", "carol@example.test")


def test_a_reset_must_be_confirmed():
    assert refused(request.reset_request, {}) == "confirm"
    assert refused(request.reset_request, {"confirm": "yes"}) == "confirm"
    request.reset_request({"confirm": True})
