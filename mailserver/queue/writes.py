"""How the queue page changes the queue: through the agent, recorded in the change log.

Writes take ``mailserver.core.agent.change`` with a longer wait: a purge or a reset stops
qmail-send and waits for its deliveries under way (up to 0.4 x the agent's timeout), so a big
purge that is answered after 10 s must not read as "not confirmed". Dry runs change nothing
and are sent as plain calls: the change log holds what was done or attempted, not counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mailserver.core import agent
from mailserver.core.nodes import PanelRequest
from mailserver.protocol import Op
from mailserver.protocol.records import intended

WRITE_TIMEOUT = 30.0
READ_TIMEOUT = 30.0  # QUEUE_LIST reads every info file the first time (~2 s at 100,000 messages)


def change(
    request: PanelRequest, op: Op, payload: dict[str, Any], intent: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Run a write and record its outcome, whatever it is (refused, failed half-way, unconfirmed)."""
    data: dict[str, Any] = agent.change(request, op, payload, intent, timeout=WRITE_TIMEOUT)
    return data


def dry_run(request: PanelRequest, op: Op, payload: dict[str, Any]) -> dict[str, Any]:
    """What a delete, purge or expire would touch: the count the admin then confirms."""
    data: dict[str, Any] = agent.call(
        op, {**payload, "dry_run": True}, node=request.node, timeout=WRITE_TIMEOUT
    )
    return data


def read(request: PanelRequest, op: Op, payload: dict[str, Any] | None = None) -> Any:
    return agent.call(op, payload or {}, node=request.node, timeout=READ_TIMEOUT)


def queue_intent(action: str, after: str = "") -> list[Mapping[str, Any]]:
    return [intended("queue", action, after)]
