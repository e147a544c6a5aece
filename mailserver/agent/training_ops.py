"""Bayes IMAP training operations: its two settings, and a run on demand.

Touches the training settings file in SpamAssassin's site directory
(``nodeworx-imap-training``; SpamAssassin reads only ``*.cf`` and ``*.pre``), and, for a run,
what the daily job touches (:mod:`.training`): every mailbox's training folders, spamd's
per-user directories, sa-learn as spamd's user.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from mailserver.protocol import Op
from mailserver.protocol.filters import Training
from mailserver.qmail import atomic
from mailserver.qmail.errors import FieldError, InvalidValue
from mailserver.spamassassin import training

from . import training as job
from .celeryapp import settings
from .daemons import file_seen
from .operations import Payload, operation
from .transaction import FilePlan, serialised


def training_state() -> Training:
    chosen = job.read_settings(settings)
    return {
        "enabled": chosen.enabled,
        "limit": chosen.limit,
        "file": file_seen(job.settings_path(settings)),
        "last_run": job.last_run(settings),
    }


@operation(Op.SPAM_WRITE_TRAINING)
def write_training(payload: Payload) -> dict[str, Any]:
    """Payload: {"enabled": bool, "learn_limit": int (any of them), "expect": sha256|null}.

    Turning it on also creates the two folders in every mailbox at once (the daily job
    makes them in mailboxes added later). Settings the daily job already reads (no file: off,
    the default limit) write nothing and record no change, whatever the expectation: the page
    compares the sha it showed.
    """
    _requested(payload, job.read_settings(settings))  # a payload refused field by field never takes the lock
    path = job.settings_path(settings)
    with serialised():
        current = job.read_settings(settings)
        new = _requested(payload, current)
        if new == current:
            return {"changes": [], "folders_created": 0, "state": training_state()}
        if not path.parent.is_dir():
            raise InvalidValue(f"{path.parent} is missing: is SpamAssassin installed?")
        plan = FilePlan()
        plan.add(f"spamassassin {path.name}", path, training.render_settings(new).encode(),
                 atomic.expectation(payload, "imap_training"))  # fmt: skip
        changes = plan.apply()
    created = 0
    if new.enabled and not current.enabled:
        for box in training.mailboxes(settings.roots):
            try:
                created += len(training.ensure_folders(box))
            except OSError:
                continue  # the daily job reports it
    return {"changes": changes, "folders_created": created, "state": training_state()}


def _requested(payload: Payload, current: training.TrainingSettings) -> training.TrainingSettings:
    """The settings after ``payload``: only the keys sent change."""
    enabled = payload.get("enabled", current.enabled)
    if not isinstance(enabled, bool):
        raise FieldError("imap_training", "Bayes IMAP training must be on or off.")
    limit = training.check_limit(payload["learn_limit"]) if "learn_limit" in payload else current.limit
    return training.TrainingSettings(enabled, limit)


@operation(Op.SPAM_TRAIN_NOW)
def train_now(payload: Payload) -> dict[str, Any]:
    """Run the daily job now (it empties the folders it learns from, as the daily run does)."""
    if not job.read_settings(settings).enabled:
        raise InvalidValue("Bayes IMAP training is off: turn it on first.")
    run = job.run_training(settings)
    return {"run": asdict(run), "state": training_state()}
