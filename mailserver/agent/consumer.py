"""The worker's message consumer, made to drop what it cannot handle instead of dying.

Celery hands every incoming message to its task strategy, which reads unsigned
headers and the decoded body; an exception there is "unrecoverable": the worker
stops, the message goes back to the queue, and the restarted worker takes it and
stops again. A message pushed by anyone with broker access would keep the agent
down. So any failure while taking a message in drops that message (logged) and
the agent goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery.worker.consumer import Consumer
from vine import promise

log = logging.getLogger("nodeworx.agent")


class GuardedConsumer(Consumer):  # type: ignore[misc]  # Celery has no type hints
    def create_task_handler(self, promise: Any = promise) -> Callable[[Any], Any]:
        celery_handler = super().create_task_handler(promise)

        def on_task_received(message: Any) -> Any:
            try:
                return celery_handler(message)
            except Exception:
                headers = message.headers if isinstance(message.headers, dict) else {}
                log.exception("dropped message %r: the worker could not take it in", headers.get("id"))
                if not message.acknowledged:
                    message.reject(requeue=False)
                return None

        return on_task_received
