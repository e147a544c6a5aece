"""``manage.py sample_queue [--every SECONDS] [--node NODE]``: store the queue's counts for the
dashboard's trend.

Once (what the systemd timer deploy/systemd/nodeworx-queue-sample.timer runs every 5 minutes),
or, with ``--every``, in a loop until stopped (with ``--while-pid`` also once the process that
started it has ended, as scripts/demo does). Run as the web's user: it writes the panel's
database and asks the agent, like a page does. Samples older than a day are pruned as it goes.
"""

from __future__ import annotations

import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mailserver.core import agent

from ... import samples


class Command(BaseCommand):
    help = "Store the mail queue's counts (local, remote, todo, messages) for the dashboard's trend."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every", type=float, metavar="SECONDS", help="keep sampling, every SECONDS (at least 10)"
        )
        parser.add_argument("--node", help="the mail host to ask (default: the configured node)")
        parser.add_argument(
            "--while-pid",
            type=int,
            metavar="PID",
            help="with --every: stop once process PID has ended (scripts/demo passes its own)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        node = options["node"] or agent.node_name()
        every = options["every"]
        if every is None:
            try:
                self._sample(node)
            except agent.AgentError as exc:
                raise CommandError(f"No sample taken: {exc.message}") from exc
            return
        if every < 10:
            raise CommandError("--every must be at least 10 seconds.")
        watched = options["while_pid"]
        while True:
            started = time.monotonic()
            try:
                self._sample(node)
            except agent.AgentError as exc:  # the agent may come back: keep going
                self.stderr.write(f"No sample taken: {exc.message}")
            while time.monotonic() - started < every:
                if watched is not None and not _running(watched):
                    return  # whoever started it has stopped everything else
                time.sleep(min(1.0, max(0.0, every - (time.monotonic() - started))))

    def _sample(self, node: str) -> None:
        sample = samples.take(node)
        self.stdout.write(str(sample))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process (the demo runs as root, the sampler does not)
        return True
    return True
