"""The systemd timer that samples the queue every 5 minutes, and the oneshot service it starts."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands

UNITS = Path(settings.BASE_DIR) / "deploy" / "systemd"
SERVICE, TIMER = "nodeworx-queue-sample.service", "nodeworx-queue-sample.timer"

needs_systemd = pytest.mark.skipif(
    not shutil.which("systemd-analyze"), reason="needs systemd-analyze (Debian's systemd)"
)


def _setting(unit: str, key: str) -> str:
    [value] = [
        line.split("=", 1)[1]
        for line in (UNITS / unit).read_text().splitlines()
        if line.startswith(f"{key}=")
    ]
    return value


@needs_systemd
def test_both_units_pass_systemd_analyze_verify_without_a_warning(tmp_path):
    for unit in (SERVICE, TIMER):
        (tmp_path / unit).write_text(
            (UNITS / unit).read_text().replace("/opt/nodeworx", str(settings.BASE_DIR))
        )
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(tmp_path / TIMER), str(tmp_path / SERVICE)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0
    assert done.stdout + done.stderr == ""


@needs_systemd
def test_the_timer_fires_every_five_minutes():
    done = subprocess.run(
        ["systemd-analyze", "calendar", "--iterations=3", _setting(TIMER, "OnCalendar")],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    times = [
        datetime.strptime(line.split(": ", 1)[1].strip()[4:23], "%Y-%m-%d %H:%M:%S")
        for line in done.stdout.splitlines()
        if "Next elapse" in line or "Iter. #" in line
    ]
    assert len(times) == 3
    assert {(b - a).total_seconds() for a, b in itertools.pairwise(times)} == {300.0}


def test_the_service_runs_the_sampler_once_as_the_webs_user():
    assert _setting(TIMER, "Unit") == SERVICE
    command = _setting(SERVICE, "ExecStart").split()
    assert command[1:] == ["manage.py", "sample_queue"]  # once: the timer is the loop
    assert get_commands()["sample_queue"] == "mailserver.dashboard"
    assert (_setting(SERVICE, "Type"), _setting(SERVICE, "User")) == ("oneshot", "nodeworx")
