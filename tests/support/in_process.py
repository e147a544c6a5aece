"""The agent's operations run in this process, for page tests: no broker, no signatures, no worker.

``InProcessAgent`` takes the place of ``mailserver.core.agent.transport``. It hands the payload,
as JSON, to the very function the worker would run once a message passed its signed checks
(``operations.envelope``: the registered handler, the library's payload validation, the same
mapping of errors to answers), and gives back the answer as JSON. What it leaves out (signing,
nonces, queues, the root worker, svscan) is what the integration tests cover.
"""

from __future__ import annotations

import json
from typing import Any

from mailserver.core.agent import AgentUnavailable
from mailserver.protocol import Op


class InProcessAgent:
    """The agent of ``node``, running its handlers on the server tree of the agent configuration."""

    def __init__(self, node: str):
        import mailserver.agent.worker  # noqa: F401  (registers every operation, as the worker does)

        self.node = node
        self.calls: list[tuple[Op, dict[str, Any]]] = []

    def __call__(self, operation: Op, payload: dict[str, Any], node: str, timeout: float) -> dict[str, Any]:
        from mailserver.agent import operations

        if node != self.node:
            raise AgentUnavailable(
                f"The agent for node {node} cannot be reached (only {self.node} runs here)."
            )
        sent = json.loads(json.dumps(payload))  # what would cross the broker: JSON, nothing else
        self.calls.append((operation, sent))
        return json.loads(json.dumps(operations.envelope(operation, sent)))  # type: ignore[no-any-return]
