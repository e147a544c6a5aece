"""What the agent does once when its worker starts: remove the temp files of interrupted writes.

A write is a temp file in the target's directory, then a rename (mailserver.qmail.atomic), so
an agent killed in between (kill -9, a power cut) leaves the target whole but the temp file
behind: a dot file svscan and qmail ignore, but clutter that would pile up. Celery sends
``worker_init`` in the main process before the pool starts, when nothing of ours is writing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from celery.signals import worker_init

from mailserver.qmail import atomic
from mailserver.qmail.paths import Roots

from .celeryapp import settings

log = logging.getLogger("nodeworx.agent")


def _write_dirs(roots: Roots) -> list[Path]:
    """Every directory the agent writes files in, inside the configured roots."""
    dirs = [roots.control_dir, roots.qmail / "alias"]
    for parent in (roots.qmail / "supervise", roots.service):
        try:
            services = sorted(entry for entry in parent.iterdir() if entry.is_dir())
        except OSError:
            continue
        for service in services:
            dirs += [service, service / "log"]
    return dirs


def remove_stale_temps(roots: Roots) -> list[Path]:
    """Remove what interrupted writes left; returns the paths removed."""
    removed: list[Path] = []
    for directory in _write_dirs(roots):
        removed += [directory / name for name in atomic.remove_stale_temps(directory)]
    # In the tcprules directory (/etc) only the tcprules files are the agent's.
    removed += [roots.tcprules / name for name in atomic.remove_stale_temps(roots.tcprules, prefix="tcp.")]
    return removed


def _on_worker_init(**_: object) -> None:
    removed = remove_stale_temps(settings.roots)
    if removed:
        log.warning(
            "removed %d temp file(s) left by interrupted writes: %s",
            len(removed),
            ", ".join(str(path) for path in removed),
        )


worker_init.connect(_on_worker_init, weak=False)
