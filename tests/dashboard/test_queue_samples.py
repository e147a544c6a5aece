"""Queue samples in the panel's database: stored, kept for a day, read back as the trend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from mailserver.dashboard import samples
from mailserver.dashboard.models import QueueSample
from mailserver.dashboard.trend import Point, growing_fast

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 13, 38, 22, tzinfo=UTC)


def _stats(at: datetime, *, local: int = 5, remote: int = 20, todo: int = 2) -> dict:
    counts = {"local": local, "remote": remote, "todo": todo, "messages": local + remote + todo,
              "unprocessed": todo, "bouncing": 0}  # fmt: skip
    return {"counts": counts, "at": at.timestamp()}


def _store(node: str, at: datetime, remote: int) -> None:
    QueueSample.objects.create(node=node, at=at, local=0, remote=remote, todo=0, messages=remote)


def test_a_sample_stores_the_counts_at_the_agents_time():
    samples.record("mail1", _stats(NOW))
    sample = QueueSample.objects.get()
    assert (sample.node, sample.at, sample.local, sample.remote, sample.todo, sample.messages) == (
        "mail1", NOW, 5, 20, 2, 27,
    )  # fmt: skip


def test_samples_older_than_a_day_are_pruned_of_every_node():
    _store("mail1", NOW - timedelta(days=1, seconds=1), 1)
    _store("mail2", NOW - timedelta(days=2), 2)
    _store("mail1", NOW - timedelta(hours=23, minutes=59), 3)
    samples.record("mail1", _stats(NOW))
    assert sorted(QueueSample.objects.values_list("node", "remote")) == [("mail1", 3), ("mail1", 20)]


def test_a_sample_is_due_when_the_newest_of_that_node_is_older_than_the_interval():
    assert samples.due("mail1", NOW)
    _store("mail1", NOW - timedelta(minutes=4), 1)
    assert not samples.due("mail1", NOW)
    assert samples.due("mail2", NOW)  # each node has its own samples
    assert samples.due("mail1", NOW + timedelta(minutes=2))


def test_record_if_due_keeps_one_sample_per_interval():
    assert samples.record_if_due("mail1", _stats(NOW)) is not None
    assert samples.record_if_due("mail1", _stats(NOW + timedelta(minutes=1))) is None
    assert samples.record_if_due("mail1", _stats(NOW + timedelta(minutes=5, seconds=1))) is not None
    assert QueueSample.objects.count() == 2


def test_the_interval_is_a_setting(monkeypatch):
    monkeypatch.setenv(samples.INTERVAL_ENV, "60")
    _store("mail1", NOW - timedelta(minutes=2), 1)
    assert samples.due("mail1", NOW)


def test_growing_fast_is_found_in_the_stored_samples_of_the_last_hour():
    now = timezone.now()
    _store("mail1", now - timedelta(hours=3), 5000)  # long ago: not the baseline
    _store("mail1", now - timedelta(minutes=58), 300)
    _store("mail1", now - timedelta(minutes=30), 350)
    _store("mail1", now - timedelta(minutes=3), 520)
    _store("mail2", now - timedelta(minutes=3), 99999)
    [growth] = samples.growth("mail1", now)
    assert (growth.queue, growth.before, growth.now, growth.added, growth.percent) == (
        "remote",
        300,
        520,
        220,
        73,
    )
    assert samples.growth("mail2", now) == []  # one sample is no trend


def test_samples_that_stopped_long_ago_say_nothing_about_now():
    now = timezone.now()
    _store("mail1", now - timedelta(hours=2), 100)
    _store("mail1", now - timedelta(hours=1, minutes=30), 900)
    assert samples.growth("mail1", now) == []


def _point(minutes_ago: int, remote: int = 0, local: int = 0, todo: int = 0) -> Point:
    return Point(NOW - timedelta(minutes=minutes_ago), local, remote, todo, local + remote + todo)


@pytest.mark.parametrize(
    ("before", "after", "fast"),
    [
        (100, 221, True),  # +121, +121 %
        (100, 200, False),  # +100 is not more than 100 messages
        (1000, 1150, False),  # +150 but 15 %
        (1000, 1201, True),  # +201 and 20.1 %
        (0, 101, True),  # from empty
        (3, 90, False),  # thirty times as many, but 87 messages
    ],
)
def test_growing_fast_needs_both_a_share_and_a_number_of_messages(before, after, fast):
    assert bool(growing_fast([_point(50, remote=before), _point(0, remote=after)])) is fast


def test_growing_fast_looks_at_each_part_of_the_queue_from_the_first_point_of_the_hour():
    points = [
        _point(90, todo=0),
        _point(59, todo=10, local=5),
        _point(20, todo=400),
        _point(0, todo=600, local=6),
    ]
    assert [(g.queue, g.before, g.now) for g in growing_fast(points)] == [("todo", 10, 600)]
    assert growing_fast(points[-1:]) == []
