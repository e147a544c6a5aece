"""Payload strategies for the Mail Queue operations (registered in test_agent_payloads_fuzz.PAYLOADS).

The real keys with edgy values: message numbers around the snapshot's, address patterns full of
stars and brackets, durations in words, every part of the queue, test messages whose addresses
could read as options.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from mailserver.qmail.paths import Roots
from tests.fuzz.strategies import edgy_text, field_text, json_values, pick

IDS = st.lists(pick(st.integers(-1, 2**65), st.sampled_from([1466718, 1466767, 1466748])), max_size=4)
PATTERNS = ("alice@example.test", "@example.test", "*@*.example.*", "<>", "#@[]", "*" * 40, "-f", "a b")


def junk_or(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return pick(strategy, strategy, json_values())


def _filters() -> st.SearchStrategy[Any]:
    return junk_or(
        st.fixed_dictionaries(
            {},
            optional={
                "sender": junk_or(field_text(PATTERNS)),
                "recipient": junk_or(field_text(PATTERNS)),
                "domain": junk_or(field_text(("example.test", "@deferred.example.org", "exa mple"))),
                "min_age": junk_or(pick(field_text(("3 hours", "2 days", "1 week ago", "5 x")), st.floats())),
                "max_age": junk_or(pick(st.integers(-5, 10**12), st.floats())),
                "min_size": junk_or(st.integers(-5, 2**64)),
                "max_size": junk_or(st.integers(-5, 2**64)),
                "select": junk_or(field_text(("local", "remote", "todo", "bouncing"))),
            },
        )
    )


def _list(data: st.DataObject, roots: Roots) -> Any:
    optional = {
        "filters": _filters(),
        "sort": junk_or(field_text(("arrived", "size", "sender", "id", "recipients"))),
        "descending": junk_or(st.booleans()),
        "offset": junk_or(st.integers(-5, 2**64)),
        "limit": junk_or(st.integers(-5, 600)),
    }
    return data.draw(st.fixed_dictionaries({}, optional=optional))


def _message(data: st.DataObject, roots: Roots) -> Any:
    return data.draw(
        st.fixed_dictionaries({}, optional={"id": junk_or(IDS.map(lambda ids: ids[0] if ids else 0))})
    )


def _delete(data: st.DataObject, roots: Roots) -> Any:
    optional = {
        "ids": junk_or(IDS),
        "filters": _filters(),
        "dry_run": junk_or(st.booleans()),
        "expect_count": junk_or(st.integers(-5, 30)),
        "arrived": junk_or(
            st.dictionaries(field_text(("1466718", "x", "-1")), st.integers(-5, 2**40), max_size=2)
        ),
    }
    return data.draw(st.fixed_dictionaries({}, optional=optional))


def _purge(data: st.DataObject, roots: Roots) -> Any:
    optional = {
        "queue": junk_or(field_text(("local", "remote", "todo", "all"))),
        "dry_run": junk_or(st.booleans()),
        "expect_count": junk_or(st.integers(-5, 30)),
    }
    return data.draw(st.fixed_dictionaries({}, optional=optional))


def _expire(data: st.DataObject, roots: Roots) -> Any:
    return data.draw(
        st.fixed_dictionaries({}, optional={"ids": junk_or(IDS), "dry_run": junk_or(st.booleans())})
    )


TOKENS = ("abcdefgh12345678", "short", "../../etc/passwd", "a" * 65, "-" * 16)


def _reset(data: st.DataObject, roots: Roots) -> Any:
    optional = {"confirm": junk_or(st.booleans()), "progress": junk_or(field_text(TOKENS))}
    return data.draw(st.fixed_dictionaries({}, optional=optional))


def _reset_progress(data: st.DataObject, roots: Roots) -> Any:
    return data.draw(st.fixed_dictionaries({}, optional={"progress": junk_or(field_text(TOKENS))}))


def _inject(data: st.DataObject, roots: Roots) -> Any:
    address = field_text(("alice@example.test", "-fevil@example.test", "--", "a b@example.test", "bob"))
    optional = {
        "from": junk_or(address),
        "to": junk_or(pick(address, st.lists(address, max_size=3))),
        "subject": junk_or(edgy_text(30)),
        "body": junk_or(edgy_text(60)),
    }
    return data.draw(st.fixed_dictionaries({}, optional=optional))


def _anything(data: st.DataObject, roots: Roots) -> Any:
    return data.draw(st.dictionaries(edgy_text(10), json_values(), max_size=4))


PAYLOADS: dict[str, Callable[[st.DataObject, Roots], Any]] = {
    "queue.stats": _anything,
    "queue.list": _list,
    "queue.message": _message,
    "queue.check": _anything,
    "queue.purge": _purge,
    "queue.delete": _delete,
    "queue.expire": _expire,
    "queue.reset": _reset,
    "queue.process": _anything,
    "queue.inject": _inject,
    "queue.reset_progress": _reset_progress,
}
