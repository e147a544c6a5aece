"""The signed meta check on its own: which messages an operation refuses before running, and why."""

from __future__ import annotations

import time

import pytest

from mailserver.agent import meta
from mailserver.agent.meta import CLOCK_SKEW, MAX_WINDOW, NONCE_TTL, Refused

OP, NODE = "agent.mta.write_controls", "test"


class Nonces:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def first_use(self, nonce: str) -> bool:
        new = nonce not in self.seen
        self.seen.append(nonce)
        return new


def check(value: object, nonces: Nonces | None = None) -> None:
    meta.check(value, op=OP, node=NODE, first_use=(nonces or Nonces()).first_use)


def fresh(**changes: object) -> dict[str, object]:
    return {**meta.new(OP, NODE, 10), **changes}


def test_a_fresh_message_for_this_operation_and_node_passes_once():
    nonces, message = Nonces(), meta.new(OP, NODE, 10)
    check(message, nonces)
    with pytest.raises(Refused, match="already delivered once"):
        check(message, nonces)


def test_new_meta_carries_a_random_128_bit_nonce_and_the_deadline():
    first, second = meta.new(OP, NODE, 10), meta.new(OP, NODE, 10)
    assert len(first["nonce"]) == 32 and int(first["nonce"], 16) >= 0
    assert first["nonce"] != second["nonce"]
    assert abs(first["not_after"] - (time.time() + 10)) < 1


@pytest.mark.parametrize("value", [None, "meta", [], {}])
def test_missing_or_malformed_meta_is_refused(value):
    with pytest.raises(Refused):
        check(value)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"op": "agent.ping"}, "for operation 'agent.ping'"),
        ({"node": "other"}, "for node 'other'"),
        ({"not_after": "tomorrow"}, "not a time"),
        ({"not_after": True}, "not a time"),
        ({"not_after": float("nan")}, "not a time"),
        ({"not_after": float("inf")}, "not a time"),
        ({"nonce": "ABCDEF" + "0" * 26}, "nonce"),
        ({"nonce": "0" * 31}, "nonce"),
        ({"nonce": "0" * 32 + "\n"}, "nonce"),
        ({"nonce": 7}, "nonce"),
    ],
)
def test_a_wrong_field_is_refused_without_using_up_the_nonce(changes, reason):
    nonces = Nonces()
    with pytest.raises(Refused, match=reason):
        check(fresh(**changes), nonces)
    assert nonces.seen == []


def test_the_deadline_allows_only_the_clock_skew():
    check(fresh(not_after=time.time() - CLOCK_SKEW + 1))
    with pytest.raises(Refused, match="expired"):
        check(fresh(not_after=time.time() - CLOCK_SKEW - 1))


def test_a_deadline_beyond_the_accepted_window_is_refused():
    check(fresh(not_after=time.time() + MAX_WINDOW))
    with pytest.raises(Refused, match="longer than"):
        check(fresh(not_after=time.time() + MAX_WINDOW + CLOCK_SKEW + 1))


def test_nonces_are_remembered_longer_than_any_message_is_accepted():
    assert NONCE_TTL > MAX_WINDOW + 2 * CLOCK_SKEW
