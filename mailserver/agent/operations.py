"""The whitelist: every operation the agent performs is registered here by name.

A handler takes the payload dict and returns JSON-able data. Expected failures
(invalid values, hand edits, names outside the roots) come back as error
envelopes the panel shows beside the field; nothing else is reachable, since
the worker refuses any task name it has not registered.

The signature covers only the message body, so before any handler runs the
signed ``meta`` must name this very operation and node, be fresh, and carry a
nonce never seen before (see ``meta``); otherwise the message is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis
from celery import current_task

from mailserver.qmail.errors import Conflict, FieldError, InvalidValue, OutsideRoots, QmailError

from . import meta as message_meta
from .celeryapp import app, settings

log = logging.getLogger("nodeworx.agent")

Payload = dict[str, Any]
Handler = Callable[[Payload], Any]

__all__ = ["FieldError", "Payload", "operation", "require"]


def _error(kind: str, exc: Exception) -> dict[str, Any]:
    return {"ok": False, "error": {"kind": kind, "message": str(exc), "field": getattr(exc, "field", None)}}


_nonces: redis.Redis | None = None


def _first_use(nonce: str) -> bool:
    """Record ``nonce``; True only for the first message that carries it.

    SET NX is atomic, so of two copies of a message taken by two worker processes at
    once exactly one runs. The nonces live in the broker's Redis, which every message
    already passes through; the client is made on first use, inside the worker process.
    """
    global _nonces
    if _nonces is None:
        _nonces = redis.Redis.from_url(settings.broker_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        created = _nonces.set(f"nodeworx:agent:nonce:{nonce}", 1, nx=True, ex=message_meta.NONCE_TTL)
    except redis.RedisError as exc:
        # Without a record of the nonce a replay cannot be told apart: refuse rather than run.
        raise message_meta.Refused(f"the message's nonce could not be recorded: {exc}") from exc
    return bool(created)


def operation(name: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the agent task ``agent.<name>`` on the node's queue."""

    def register(handler: Handler) -> Handler:
        task_name = f"agent.{name}"

        def run(payload: Payload | None = None, meta: object = None) -> dict[str, Any]:
            # Headers and queue are not signed: trust only the signed meta for which
            # operation this is, for which node, until when, and whether it is new.
            try:
                message_meta.check(meta, op=task_name, node=settings.node, first_use=_first_use)
            except message_meta.Refused as exc:
                log.warning("refused message %s as %s: %s", current_task.request.id, task_name, exc)
                return _error("refused", RuntimeError(f"{task_name} refused: {exc}"))
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
        return handler

    return register


def require(payload: Payload, key: str, kind: type) -> Any:
    value = payload.get(key)
    if not isinstance(value, kind):
        raise FieldError(key, f"{key} is required ({kind.__name__})")
    return value
