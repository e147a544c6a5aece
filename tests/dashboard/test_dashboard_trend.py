"""The dashboard's trend on a time axis: each sample at its own time over the last day (a category
axis gave five minutes and five hours the same width), and how long a stretch without samples
must be before the chart draws it dashed."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from mailserver.dashboard.models import QueueSample

pytestmark = pytest.mark.django_db
MINUTE = 60_000


def trend(html: str) -> dict:
    found = re.search(r'<script id="queue-trend-data" type="application/json">([^<]*)</script>', html)
    assert found, "no trend data on the page"
    return json.loads(found.group(1))


def sample(at: datetime, remote: int) -> None:
    QueueSample.objects.create(node="test", at=at, local=1, remote=remote, todo=0, messages=remote + 1)


def test_each_sample_is_placed_at_its_time_on_an_axis_of_the_last_day(admin_client, roots):
    base = timezone.now().replace(microsecond=0) - timedelta(hours=5)
    for minutes, remote in ((0, 3), (5, 4), (245, 5)):
        sample(base + timedelta(minutes=minutes), remote)
    data = trend(admin_client.get("/").content.decode())
    assert data["end"] - data["start"] == 24 * 60 * MINUTE
    assert data["remote"][:3] == [3, 4, 5]
    first, second, third = data["x"][:3]
    assert (second - first, third - second) == (5 * MINUTE, 240 * MINUTE)
    assert data["end"] >= data["x"][-1]  # the counts now end the line, at the right edge
    assert data["time_zone"] == "UTC"  # the axis reads in the panel's time zone, as the counted-at time


def test_a_stretch_longer_than_three_sampling_intervals_is_a_gap(admin_client, roots, monkeypatch):
    monkeypatch.setenv("NODEWORX_QUEUE_SAMPLE_SECONDS", "600")
    data = trend(admin_client.get("/").content.decode())
    assert data["gap"] == 30 * MINUTE
