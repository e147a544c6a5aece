"""The agent's operation handlers by name, to call in process (no broker, no signatures).

A handler is the function an ``@operation`` wraps: it takes the payload and raises the
library's errors (FieldError, InvalidValue, Conflict, QmailError) for the wrapper to turn
into answers. ``registered()`` lists what the worker really offers, so a test can check
that this map misses none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], Any]


def handlers() -> dict[str, Handler]:
    import mailserver.agent.worker  # noqa: F401  (registers every operation, as celery does)
    from mailserver.agent.operations import HANDLERS

    return {op.removeprefix("agent."): handler for op, handler in HANDLERS.items()}


def registered() -> set[str]:
    """The operation names the agent worker accepts (its Celery tasks ``agent.NAME``)."""
    import mailserver.agent.worker  # noqa: F401
    from mailserver.agent.celeryapp import app

    return {name.removeprefix("agent.") for name in app.tasks if name.startswith("agent.")}
