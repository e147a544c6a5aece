"""Entry point of the root agent: ``celery -A mailserver.agent.worker worker -Q node.<name>``."""

from __future__ import annotations

from . import mta_ops, service_ops  # noqa: F401 - importing registers the operations
from .celeryapp import app

__all__ = ["app"]
