"""Entry point of the root agent: ``celery -A mailserver.agent.worker worker -Q node.<name>``."""

from __future__ import annotations

# Importing the operation modules registers the whitelisted tasks; nothing else is registered.
import mailserver.agent.logs_ops
import mailserver.agent.mta_ops
import mailserver.agent.service_ops  # noqa: F401

from .celeryapp import app

__all__ = ["app"]
