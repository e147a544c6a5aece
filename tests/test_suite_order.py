"""The suite refuses to run a database test after a transactional one (tests/support/db_order.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.support.db_order import kind, misordered


@dataclass
class Collected:
    """What the check reads of a collected test: its fixtures and its django_db marker."""

    nodeid: str
    fixturenames: list[str]
    marker: pytest.Mark | None = field(default=None)

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        return self.marker if name == "django_db" else None


def django_db(**kwargs: object) -> pytest.Mark:
    return pytest.Mark("django_db", (), kwargs)


def test_a_browser_test_is_transactional_and_a_page_test_is_not() -> None:
    assert kind(Collected("browser", ["page", "live_server", "db"])) == "transactional"
    assert kind(Collected("marked", [], django_db(transaction=True))) == "transactional"
    assert kind(Collected("page", ["admin_client", "db"])) == "db"
    assert kind(Collected("marked", [], django_db())) == "db"
    assert kind(Collected("parser", ["tmp_path"])) == "none"


def test_a_database_test_after_a_browser_test_is_named_with_it() -> None:
    browser = Collected("tests/browser/test_x.py::test_a", ["live_server"])
    page = Collected("tests/core/test_y.py::test_b", ["db"])
    assert misordered([page, browser, Collected("c", [])]) is None
    assert misordered([browser, page]) == (browser, page)
