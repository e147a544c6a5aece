"""The whitelist: every operation the agent performs is registered here by name.

A handler takes the payload dict and returns JSON-able data. Expected failures
(invalid values, hand edits, names outside the roots) come back as error
envelopes the panel shows beside the field; nothing else is reachable, since
the worker refuses any task name it has not registered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from mailserver.qmail.errors import Conflict, FieldError, InvalidValue, OutsideRoots, QmailError

from .celeryapp import app, settings

log = logging.getLogger("nodeworx.agent")

Payload = dict[str, Any]
Handler = Callable[[Payload], Any]

REGISTRY: dict[str, Handler] = {}

__all__ = ["REGISTRY", "FieldError", "Payload", "operation", "require"]


def _error(kind: str, exc: Exception) -> dict[str, Any]:
    return {"ok": False, "error": {"kind": kind, "message": str(exc), "field": getattr(exc, "field", None)}}


def operation(name: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the agent task ``agent.<name>`` on the node's queue."""

    def register(handler: Handler) -> Handler:
        task_name = f"agent.{name}"

        def run(payload: Payload | None = None) -> dict[str, Any]:
            if not isinstance(payload, dict):
                return _error("invalid", InvalidValue("payload must be an object"))
            try:
                return {"ok": True, "data": handler(payload)}
            except Conflict as exc:
                return _error(getattr(exc, "kind", "conflict"), exc)
            except (InvalidValue, OutsideRoots) as exc:
                return _error("invalid", exc)
            except QmailError as exc:
                return _error("failed", exc)
            except (OSError, ValueError, TypeError, KeyError) as exc:
                log.exception("operation %s failed", task_name)
                return _error("failed", RuntimeError(f"{task_name} failed: {exc}"))

        run.__name__ = run.__qualname__ = task_name.replace(".", "_")
        app.task(name=task_name, queue=settings.queue)(run)
        REGISTRY[task_name] = handler
        return handler

    return register


def require(payload: Payload, key: str, kind: type) -> Any:
    value = payload.get(key)
    if not isinstance(value, kind):
        raise FieldError(key, f"{key} is required ({kind.__name__})")
    return value
