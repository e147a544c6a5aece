"""Entry point of the root agent: ``celery -A mailserver.agent.worker worker -Q node.<name>``."""

from __future__ import annotations

import logging

# Importing the operation modules registers the whitelisted tasks; nothing else is registered.
import mailserver.agent.logs_index_ops
import mailserver.agent.logs_ops
import mailserver.agent.mda_filter_ops
import mailserver.agent.mta_ops
import mailserver.agent.queue_ops
import mailserver.agent.restore_ops
import mailserver.agent.service_ops
import mailserver.agent.smtpd_ops  # noqa: F401

from . import startup  # noqa: F401  (at worker start: removes the temp files of interrupted writes)
from .celeryapp import app

# Celery logs every task's return value at INFO ("succeeded in 0.01s: …"): here that is
# file contents, addresses and blacklists. Failures still log at WARNING and above.
logging.getLogger("celery.app.trace").setLevel(logging.WARNING)

__all__ = ["app"]
