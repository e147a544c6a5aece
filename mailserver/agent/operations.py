"""The whitelist: every operation the agent performs is registered here by name.

A handler takes the payload dict and returns JSON-able data. Expected failures
(invalid values, hand edits, names outside the roots) come back as error
envelopes the panel shows beside the field; nothing else is reachable, since
the worker refuses any task name it has not registered.

The signature covers only the message body, so before any handler runs the
signed ``meta`` must name this very operation and node, be fresh, and carry a
nonce never seen before (see ``meta``); otherwise the message is refused. Every
answer, refusals included, is sealed with this node's key and bound to the call
it answers (see ``transport``).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from celery import current_task
from celery.exceptions import Ignore

from mailserver.protocol import Op
from mailserver.qmail.errors import Conflict, FieldError, InvalidValue, OutsideRoots, QmailError

from . import meta as message_meta
from . import transport
from .celeryapp import app, settings
from .nonces import NonceStore

log = logging.getLogger("nodeworx.agent")

Payload = dict[str, Any]
Handler = Callable[[Payload], Any]

# The whitelist itself: what ``operation`` registered, and nothing else.
HANDLERS: dict[Op, Handler] = {}

__all__ = ["FieldError", "Payload", "operation", "require"]


def _error(kind: str, exc: Exception) -> dict[str, Any]:
    return {"ok": False, "error": {"kind": kind, "message": str(exc), "field": getattr(exc, "field", None)}}


_nonces: NonceStore | None = None


def _first_use(nonce: str) -> bool:
    """Record ``nonce`` in the agent's own store (made on first use, inside the worker process)."""
    global _nonces
    if _nonces is None:
        _nonces = NonceStore(settings.state_dir)
    try:
        return _nonces.first_use(nonce)
    except sqlite3.Error as exc:
        # Without a record of the nonce a replay cannot be told apart: refuse rather than run.
        raise message_meta.Refused(f"the message's nonce could not be recorded: {exc}") from exc


def envelope(op: Op, payload: object) -> dict[str, Any]:
    """Run ``op``'s handler on ``payload`` and wrap what happens as the answer to send back.

    Everything but the signed checks: the in-process test harness calls this directly.
    """
    if not isinstance(payload, dict):
        return _error("invalid", InvalidValue("payload must be an object"))
    try:
        return {"ok": True, "data": HANDLERS[op](payload)}
    except Conflict as exc:
        return _error(getattr(exc, "kind", "conflict"), exc)
    except (InvalidValue, OutsideRoots) as exc:
        return _error("invalid", exc)
    except QmailError as exc:
        return _error("failed", exc)
    except Exception as exc:
        # Still a signed answer: an unsigned failure would read as a forgery on the panel.
        log.exception("operation %s failed", op)
        return _error("failed", RuntimeError(f"{op} failed: {type(exc).__name__}: {exc}"))


def _run(op: Op, payload: object, meta: object) -> dict[str, Any]:
    # Headers and queue are not signed: trust only the signed meta for which
    # operation this is, for which node, until when, and whether it is new.
    try:
        message_meta.check(meta, op=str(op), node=settings.node, first_use=_first_use)
    except message_meta.Replayed as exc:
        # The first copy ran and its answer is stored under this same task id: a second
        # answer would overwrite it, so the replay gets none.
        log.warning("refused message %s as %s: %s", current_task.request.id, op, exc)
        raise Ignore() from exc
    except message_meta.Refused as exc:
        log.warning("refused message %s as %s: %s", current_task.request.id, op, exc)
        return _error("refused", RuntimeError(f"{op} refused: {exc}"))
    return envelope(op, payload)


def _answering(task_name: str, meta: object) -> transport.Call:
    """The call an answer is bound to: as the panel signed it, answered by this node."""
    signed = meta if isinstance(meta, dict) else {}
    op, nonce = signed.get("op"), signed.get("nonce")
    return transport.Call(
        node=settings.node,
        op=op if isinstance(op, str) else task_name,
        task_id=str(current_task.request.id),
        nonce=nonce if isinstance(nonce, str) else "",
    )


def operation(op: Op) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the agent task named ``op`` on the node's queue."""

    def register(handler: Handler) -> Handler:
        HANDLERS[op] = handler

        def run(payload: Payload | None = None, meta: object = None) -> str:
            return transport.seal_result(_answering(op, meta), _run(op, payload, meta))

        run.__name__ = run.__qualname__ = op.replace(".", "_")
        app.task(name=str(op), queue=settings.queue)(run)
        return handler

    return register


def require(payload: Payload, key: str, kind: type) -> Any:
    value = payload.get(key)
    if not isinstance(value, kind):
        raise FieldError(key, f"{key} is required ({kind.__name__})")
    return value
