"""qmail-send's retry schedule and queuelifetime, checked against the real snapshot's retry times."""

from __future__ import annotations

import os

from mailserver.qmail.queue import schedule
from mailserver.qmail.queue.message import read_message
from tests.support.queues import SNAPSHOT_NOW

BIRTH = 1_795_613_665  # info/11/1466721: 13:34:25


def test_nextretry_is_qmail_sends_formula():
    # birth + (floor(sqrt(recent - birth)) + chanskip)^2, chanskip 10 local and 20 remote
    assert schedule.nextretry(BIRTH, "remote", BIRTH) == BIRTH + 400
    assert schedule.nextretry(BIRTH, "local", BIRTH) == BIRTH + 100
    assert schedule.nextretry(BIRTH, "remote", BIRTH + 64) == BIRTH + 28**2
    assert schedule.nextretry(BIRTH, "remote", BIRTH + 80) == BIRTH + 28**2  # floor(sqrt(80)) is 8 too
    assert schedule.nextretry(BIRTH, "local", BIRTH - 5) == BIRTH + 100  # a birth in the future counts as now


def test_the_snapshots_retry_times_fit_the_formula():
    """remote/11/1466721 was retried 64-80 s after its birth: its next try is birth + 28^2 (13:47:29)."""
    assert BIRTH + 28**2 == 1_795_614_449


def test_a_retry_time_still_ahead_is_read_from_the_file(snapshot):
    message = read_message(snapshot, 1466856, now=SNAPSHOT_NOW, lifetime=604800)
    assert message is not None
    local = message.retries["local"]
    assert (local.at, local.exact) == (1_795_613_969, True)  # local/8/1466856: 13:39:29


def test_once_a_retry_time_has_passed_the_next_one_follows_the_formula(snapshot):
    later = 1_795_614_449 + 10  # just after remote/11/1466721's retry
    retry = schedule.next_retry(BIRTH, "remote", 1_795_614_449, later)
    # tried at 13:47:29 (784 s after birth): next at birth + (28 + 20)^2
    assert retry == schedule.Retry(BIRTH + 48**2, exact=False)
    message = read_message(snapshot, 1466721, now=later, lifetime=604800)
    assert message is not None and message.retries["remote"] == retry


def test_the_estimate_steps_through_every_attempt_since():
    far = BIRTH + 86400
    retry = schedule.next_retry(BIRTH, "remote", BIRTH, far)
    attempts = [BIRTH + (20 * k) ** 2 for k in range(1, 40)]
    assert retry.at == next(a for a in attempts if a > far)


def test_expiry_is_birth_plus_queuelifetime(tmp_path):
    assert schedule.expires(BIRTH + 0.7, 604800) == BIRTH + 604800
    control = tmp_path / "control"
    control.mkdir()
    assert schedule.queuelifetime(tmp_path) == 604800  # qmail-send's default without the file
    (control / "queuelifetime").write_text("86400\n")
    assert schedule.queuelifetime(tmp_path) == 86400
    os.unlink(control / "queuelifetime")
    os.mkfifo(control / "queuelifetime")  # never opened: the default stands
    assert schedule.queuelifetime(tmp_path) == 604800
