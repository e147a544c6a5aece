"""The web side of the agent: send a whitelisted operation to a node, wait, record.

Nothing here touches the mail server. Operations go by name to the node's own
queue as signed messages; the reply is a JSON envelope the agent builds
(``{"ok": true, "data": …}`` or ``{"ok": false, "error": {…}}``).

The signature covers only the message body (the kwargs), not the task name,
expiry or queue in its headers. So the kwargs also carry a ``meta`` object
naming the operation, the node, a deadline and a fresh nonce; the agent runs
nothing whose signed meta disagrees with the message it arrived as, has passed
its deadline, or was seen before (see ``mailserver.agent.meta``). The answer is
trusted only when the node's own key signed it for this very call.

Four ways a call can fail, and each says plainly what happened:
- AgentUnavailable: the message could not be queued (Redis down): nothing changed.
- AgentTimeout: queued but unanswered. The signed deadline (and Celery's
  unsigned expiry, which merely saves the worker the work) equals the timeout,
  so a worker that comes back later refuses it instead of applying a stale
  change; still, the page says "not confirmed", never "saved".
- AgentUntrusted: an answer came that the node did not sign for this call
  (forged, copied from another call, or a worker's own unsigned error): ignored,
  and the change is "not confirmed".
- AgentRefused: the agent answered and refused (invalid value, hand edit, …).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from mailserver.protocol import Op

if TYPE_CHECKING:
    from celery import Celery
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest

    from mailserver.agent.config import AgentConfig

from .models import Change, ChangeResult

log = logging.getLogger(__name__)


class AgentError(Exception):
    result = ChangeResult.FAILED

    def __init__(self, message: str, *, field: str | None = None, kind: str = "failed"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.kind = kind


class AgentUnavailable(AgentError):
    result = ChangeResult.UNREACHABLE


class AgentTimeout(AgentError):
    result = ChangeResult.UNCONFIRMED


class AgentUntrusted(AgentError):
    """An answer not signed by the node asked, or not for this call: as good as no answer."""

    result = ChangeResult.UNCONFIRMED


class AgentRefused(AgentError):
    @property
    def result(self) -> str:  # type: ignore[override]
        # "We refused" (bad value, hand edit, message failing its signed checks) is not "it broke".
        return {
            "invalid": ChangeResult.REFUSED,
            "hand_edit": ChangeResult.REFUSED,
            "refused": ChangeResult.REFUSED,
            "conflict": ChangeResult.CONFLICT,
        }.get(self.kind, ChangeResult.FAILED)


def _timed_out(exc: BaseException) -> bool:
    """Whether a broker failure was a timeout (anything sent may have arrived), not a refused connection."""
    import redis

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TimeoutError | redis.TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _lost_broker(exc: BaseException) -> bool:
    """A connection failure that Celery's result backend handed back as the "result"."""
    import redis

    return isinstance(exc, redis.RedisError | OSError | TimeoutError)


def _app() -> Celery:
    # Imported lazily: the signing key is only loaded once a page talks to an agent.
    from mailserver.agent.celeryapp import app

    return app


def config() -> AgentConfig:
    """The agent configuration (node, timeout) the web process sends with, read from the environment."""
    from mailserver.agent.config import load

    return load()


def node_name() -> str:
    return config().node


def call(
    operation: str,
    payload: dict[str, Any] | None = None,
    *,
    node: str | None = None,
    timeout: float | None = None,
) -> Any:
    """Run one agent operation on a node and return its data, or raise an AgentError.

    Views pass ``node=request.node``; the configured node is the default only for callers
    outside a request (tests, scripts).
    """
    op = Op(operation)  # the panel sends only what some agent offers
    node = node or node_name()
    timeout = timeout or config().timeout
    envelope = transport(op, payload or {}, node, timeout)
    if envelope.get("ok"):
        return envelope.get("data")
    error = envelope.get("error") or {}
    raise AgentRefused(
        error.get("message", "The agent refused the operation."),
        field=error.get("field"),
        kind=error.get("kind", "failed"),
    )


def send_signed(operation: Op, payload: dict[str, Any], node: str, timeout: float) -> dict[str, Any]:
    """The real transport: a signed task on the node's queue; returns the node's signed answer, opened."""
    from kombu.exceptions import OperationalError

    from mailserver.agent import meta
    from mailserver.agent import transport as wire
    from mailserver.agent.config import queue_for, reads_queue_for

    signed_meta = meta.new(operation, node, timeout)
    try:
        async_result = _app().send_task(
            operation,
            # Both go inside the signature; meta binds the payload to this operation and node, once, now.
            kwargs={"payload": payload, "meta": signed_meta},
            # Long reads have workers of their own, so a save never waits behind a week of logs.
            queue=reads_queue_for(node) if operation.slow_read else queue_for(node),
            expires=timeout,
        )
    except (OperationalError, OSError, RuntimeError) as exc:
        # RuntimeError: Celery's result consumer gave up reconnecting to Redis.
        log.warning("broker unreachable for node %s: %s", node, exc)
        if _timed_out(exc):
            # Redis took the connection but stopped answering: the message may sit in its
            # buffer and still run once Redis resumes, within the signed deadline.
            raise AgentTimeout(
                f"The message broker (Redis) for node {node} stopped answering while the request was sent. "
                f"It was not confirmed and may still be carried out if Redis recovers within {timeout:g} s; "
                "reload the page to see the server's actual state."
            ) from exc
        raise AgentUnavailable(
            f"The agent for node {node} cannot be reached: the message broker (Redis) does not answer. "
            "Nothing was changed."
        ) from exc
    try:
        answer = async_result.get(timeout=timeout, propagate=False, disable_sync_subtasks=False)
        # A broken connection to the result store can come back as the "result" itself.
        lost = answer if isinstance(answer, BaseException) and _lost_broker(answer) else None
    except Exception as exc:  # celery raises TimeoutError, or the backend's connection errors
        from celery.exceptions import TimeoutError as CeleryTimeout

        if isinstance(exc, CeleryTimeout):
            after = (
                "Try a shorter period or a filter."
                if operation.reads_only
                else "The change was not confirmed; reload the page to see the server's actual state."
            )
            raise AgentTimeout(
                f"The agent for node {node} did not answer within {timeout:g} s. {after}"
            ) from exc
        lost = exc
    finally:
        with contextlib.suppress(Exception):  # results also expire by themselves
            async_result.forget()
    if lost is not None:
        # The request went out: it may have been carried out even though no answer came back.
        raise AgentTimeout(
            f"Lost contact with the message broker for node {node} while waiting for the answer ({lost}). "
            "It was not confirmed; reload the page to see the server's actual state."
        ) from lost
    asked = wire.Call(node=node, op=operation, task_id=async_result.id, nonce=signed_meta["nonce"])
    try:
        return wire.open_result(asked, answer)
    except wire.Untrusted as exc:
        # Whoever can write to Redis can write a result; only the node's signature makes it an answer.
        log.warning("untrusted answer to %s on node %s: %s", operation, node, exc)
        raise AgentUntrusted(
            f"The answer to {operation} did not come from node {node}'s agent ({exc}), so it was ignored. "
            "Whether anything changed is not known; reload the page to see the server's actual state."
        ) from exc


Transport = Callable[[Op, dict[str, Any], str, float], dict[str, Any]]
# How a call reaches a node and what comes back: the agent's envelope ({"ok": …}), or an
# AgentError when no trusted answer came. Page tests put the in-process agent here
# (tests/support/in_process.py); everything else goes through the signed broker.
transport: Transport = send_signed


def record(
    user: AbstractBaseUser | AnonymousUser | None,
    node: str,
    changes: Sequence[Mapping[str, Any]],
    result: str,
    message: str = "",
) -> list[Change]:
    """Store what was (or was not) done; one row per file or service."""
    rows = [
        Change(
            # A user with a primary key is a saved row of AUTH_USER_MODEL, Django's User here.
            user=cast("User", user) if getattr(user, "pk", None) else None,
            username=getattr(user, "username", "") or "system",
            node=node,
            target=item["target"],
            action=item.get("action", "write"),
            before=item.get("before") or "",
            after=item.get("after") or "",
            result=item.get("result", result),
            message=item.get("message", message),
        )
        for item in changes
    ]
    return Change.objects.bulk_create(rows)


def change(
    request: HttpRequest,
    operation: str,
    payload: dict[str, Any],
    intended: Sequence[Mapping[str, Any]],
    timeout: float | None = None,
) -> Any:
    """Call a write operation and record its outcome, whatever it is.

    ``intended`` describes the targets for the log when the agent never answers;
    on success the agent's own before/after replaces it. ``timeout``: as for :func:`call`.

    The node is the request's own (``request.node``, set by ``nodes.NodeMiddleware``); a
    request that did not pass through the middleware addresses the configured node.
    """
    node = getattr(request, "node", None) or node_name()
    try:
        data = call(operation, payload, node=node, timeout=timeout)
    except AgentError as exc:
        record(request.user, node, intended, exc.result, exc.message)
        raise
    record(request.user, node, data.get("changes", []), ChangeResult.APPLIED)
    return data
