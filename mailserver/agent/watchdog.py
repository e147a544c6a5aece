"""The agent's watchdog: the scheduled checks that run on the mail host without being asked.

Run as root beside the agent worker: ``python -m mailserver.agent.watchdog`` (under
daemontools: ``deploy/daemontools/nodeworx-watchdog/run``; under systemd:
``deploy/systemd/nodeworx-watchdog.service``). Every ``NODEWORX_WATCH_INTERVAL`` seconds
(30) it runs the Auto-Restart check (:mod:`mailserver.services.autorestart`), and once a
day, at ``NODEWORX_TRAINING_HOUR`` (3, host time), the Bayes IMAP training when it is on.

Why a process of its own, and not Celery beat or a thread in the worker: beat sends tasks
through Redis, and the agent runs only what the panel signed, so a beat on the mail host
would need the panel's private key there (root on one mail host could then command every
other); a beat on the panel side makes the checks stop whenever Redis or the web is down,
which is exactly when a service left down matters. A timer thread inside the prefork
worker would live in the pool's parent process, which Celery does not promise to keep
idle, and would die with the worker. This loop takes no input from the network at all,
reads only the agent's configuration and the server's files, keeps running when the broker
is down, and is itself kept up by supervise (or systemd).
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable
from types import FrameType

from mailserver.qmail.environment import env_float
from mailserver.services import autorestart

from .config import AgentConfig, load

log = logging.getLogger("nodeworx.watchdog")


class Watchdog:
    def __init__(self, config: AgentConfig, *, interval: float | None = None) -> None:
        self.config = config
        self.interval = interval or env_float("NODEWORX_WATCH_INTERVAL", autorestart.INTERVAL)
        self.journal = autorestart.Journal(config.state_dir)
        self.stopping = False
        self.jobs: list[Callable[[float], None]] = []  # daily jobs, given the time of the pass

    def once(self) -> list[autorestart.Event]:
        events = autorestart.check(self.config.roots, self.journal)
        for event in events:
            log.warning(
                "auto-restart %s: found %s; %s: %s", event.service, event.found, event.action, event.result
            )
        now = time.time()
        for job in self.jobs:
            try:
                job(now)
            except Exception:
                log.exception("scheduled job %s failed", getattr(job, "__name__", job))
        return events

    def run(self) -> None:
        log.info("watchdog started: a check every %g s", self.interval)
        while not self.stopping:
            started = time.monotonic()
            try:
                self.once()
            except Exception:  # a check that breaks must not end the checking
                log.exception("the auto-restart check failed")
            remaining = self.interval - (time.monotonic() - started)
            while remaining > 0 and not self.stopping:
                time.sleep(min(remaining, 0.5))
                remaining -= 0.5
        log.info("watchdog stopped")

    def stop(self, signum: int = 0, frame: FrameType | None = None) -> None:
        self.stopping = True


def main() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s: %(levelname)s: %(message)s")
    watchdog = Watchdog(load())
    from .training import daily_training  # the Bayes IMAP training, when the admin turned it on

    watchdog.jobs.append(daily_training(watchdog.config))
    signal.signal(signal.SIGTERM, watchdog.stop)
    signal.signal(signal.SIGINT, watchdog.stop)
    watchdog.run()


if __name__ == "__main__":
    main()
