"""What ties a signed task message to one operation, one node, one moment and one delivery.

Celery's ``auth`` serializer signs only the message body. The headers (task name,
``expires``, id) and the queue a message sits in are not signed, so anyone who can
write to Redis could replay a captured message, rename its task (the body of
``agent.ping`` run as ``agent.mta.write_controls``), revive it after it expired, or
push it into another node's queue. So the panel puts a ``meta`` object into the
signed kwargs, next to the payload, and every operation checks it against itself
before doing anything: only what is inside the signature is trusted.

This module imports nothing from Celery or Redis: the web side builds ``meta``
with :func:`new`, the agent checks it with :func:`check`.
"""

from __future__ import annotations

import math
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

# The panel and the mail host read separate clocks; NTP keeps them well within this.
CLOCK_SKEW = 5.0
# The longest not_after window the agent accepts. It bounds how long a nonce must be
# remembered: a message beyond its window is refused on time alone.
MAX_WINDOW = 300.0
# A nonce outlives every message that can carry it (window plus skew on both clocks),
# with a margin, so a replay can never find its nonce already forgotten.
NONCE_TTL = int(MAX_WINDOW + 2 * CLOCK_SKEW) + 60

_NONCE = re.compile(r"[0-9a-f]{32}")  # 128 random bits, as secrets.token_hex(16) writes them


class Refused(Exception):
    """The message's meta does not allow running it here and now."""


class Replayed(Refused):
    """A copy of a message that was already run (its nonce has been seen)."""


def new(op: str, node: str, timeout: float) -> dict[str, Any]:
    """The meta for one call of ``op`` on ``node`` that the caller waits ``timeout`` s for."""
    return {"op": op, "node": node, "not_after": time.time() + timeout, "nonce": secrets.token_hex(16)}


def check(meta: object, *, op: str, node: str, first_use: Callable[[str], bool]) -> None:
    """Raise Refused unless ``meta`` is for ``op`` on ``node``, still fresh, and never seen before.

    ``first_use(nonce)`` records the nonce and says whether it is new; it is asked last,
    so a message refused for another reason does not use up its nonce.
    """
    if not isinstance(meta, dict):
        raise Refused("the message carries no meta (operation, node, expiry, nonce) in its signed body")
    if meta.get("op") != op:
        raise Refused(f"the signed message is for operation {meta.get('op')!r}, not {op!r}")
    if meta.get("node") != node:
        raise Refused(f"the signed message is for node {meta.get('node')!r}, not {node!r}")
    not_after = meta.get("not_after")
    # bool is an int subclass; NaN and infinity compare in ways that would defeat the checks below.
    if isinstance(not_after, bool) or not isinstance(not_after, int | float) or not math.isfinite(not_after):
        raise Refused("the message's not_after is not a time")
    now = time.time()
    if now > not_after + CLOCK_SKEW:
        raise Refused(
            f"the message expired {now - not_after:.1f} s ago; if this keeps happening, "
            "check that the panel's and this host's clocks agree"
        )
    if not_after - now > MAX_WINDOW + CLOCK_SKEW:
        raise Refused(
            f"the message is valid for {not_after - now:.0f} s, longer than the {MAX_WINDOW:g} s the agent "
            "accepts (NODEWORX_AGENT_TIMEOUT too long, or the clocks disagree)"
        )
    nonce = meta.get("nonce")
    if not isinstance(nonce, str) or not _NONCE.fullmatch(nonce):
        raise Refused("the message's nonce is not 32 lower-case hex digits")
    if not first_use(nonce):
        raise Replayed("the message was already delivered once (nonce seen before): a replay")
