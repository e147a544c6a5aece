"""``manage.py sample_queue``: the scheduled sampler asks the agent and stores the counts."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from mailserver.dashboard.models import QueueSample

pytestmark = pytest.mark.django_db


def test_one_run_stores_the_queues_counts_and_prunes_old_samples(roots):
    QueueSample.objects.create(node="test", at=timezone.now() - timedelta(days=2), local=0, remote=0,
                               todo=0, messages=0)  # fmt: skip
    out = StringIO()
    call_command("sample_queue", stdout=out)
    sample = QueueSample.objects.get()
    assert (sample.node, sample.local, sample.remote, sample.todo, sample.messages) == ("test", 5, 20, 2, 27)
    assert "local 5, remote 20, todo 2" in out.getvalue()


def test_an_agent_that_cannot_be_reached_fails_the_run_and_stores_nothing(roots):
    with pytest.raises(CommandError, match="No sample taken: The agent for node mail2 cannot be reached"):
        call_command("sample_queue", "--node", "mail2")
    assert not QueueSample.objects.exists()


def test_a_loop_faster_than_every_ten_seconds_is_refused(roots):
    with pytest.raises(CommandError, match="at least 10 seconds"):
        call_command("sample_queue", "--every", "1")


def test_a_loop_stops_once_the_process_it_watches_has_ended(tmp_path):
    # As scripts/demo runs it: --while-pid names the script, which Ctrl-C ends.
    watched = subprocess.Popen(["/bin/sleep", "3"])
    err = tmp_path / "err"
    env = {**os.environ, "NODEWORX_AGENT_TIMEOUT": "2", "NODEWORX_BROKER_URL": "redis://127.0.0.1:9/0"}
    with err.open("w") as errors:
        loop = subprocess.Popen(
            [sys.executable, "manage.py", "sample_queue", "--every", "300", "--while-pid", str(watched.pid)],
            cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
    watched.wait()
    try:
        assert loop.wait(timeout=30) == 0  # not its 300 s: the second after sleep ended
    finally:
        loop.kill()
    assert "No sample taken" in err.read_text()  # it did run its loop (nothing answers on port 9)
