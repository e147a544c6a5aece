"""The suite's one ordering rule: every database test runs before the first transactional one.

A transactional test (``transactional_db``, ``live_server``: the browser tests) empties every table
when it ends, the groups the data migration made included, and nothing puts them back. pytest-django
sorts database tests first, but pytest regroups tests afterwards by session-scoped parameters: a test
parametrized over a name that is also a fixture (``page``, Playwright's) joined the browser tests'
``browser_name`` group, pulled them ahead, and 58 later tests failed with "Group matching query does
not exist". This check says so at collection, naming both tests, instead.
"""

from __future__ import annotations

import pytest


def kind(item: pytest.Item) -> str:
    """The test's kind as pytest-django sorts it: "transactional", "db" or "none"."""
    fixtures = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    if (
        "transactional_db" in fixtures
        or "live_server" in fixtures
        or (marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
    ):
        return "transactional"
    if "db" in fixtures or marker is not None:
        return "db"
    return "none"


def misordered(items: list[pytest.Item]) -> tuple[pytest.Item, pytest.Item] | None:
    """The first transactional test and a database test collected after it, if any."""
    first_transactional = None
    for item in items:
        found = kind(item)
        if found == "transactional" and first_transactional is None:
            first_transactional = item
        elif found == "db" and first_transactional is not None:
            return first_transactional, item
    return None
