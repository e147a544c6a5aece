"""The panel's Celery app (signed messages, per-node queues).

It lives in mailserver.agent.celeryapp so the root agent can use it without
Django; the web process only sends tasks by name through mailserver.core.agent.
"""

from mailserver.agent.celeryapp import app

__all__ = ["app"]
