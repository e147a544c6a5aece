"""The Mail Queue page through the real signed agent, with a qmail-send stand-in running under the
real svscan (tests/support/recording_send.py): processing now signals it, a purge stops it and
starts it again, and a qmail-send nobody supervises turns the queue's changes off with the reason."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from mailserver.core.models import Change
from mailserver.qmail.paths import Roots
from tests.support.daemons import wait_for
from tests.support.queues import snapshot_queue
from tests.support.recording_send import Recorder, recording_qmail_send, unsupervised_qmail_send

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

URL = "/mailserver/queue/"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def live_queue(stack) -> Iterator[Roots]:
    """The stack's test server (not the in-process agent of this directory's ``roots``), snapshot queue."""
    with snapshot_queue(stack["roots"]) as roots:
        yield roots


@pytest.fixture
def admin(db) -> Client:
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.create_superuser("admin", "admin@example.test", "pw"))
    return client


@pytest.fixture
def send(live_queue: Roots, work_dir: Path) -> Iterator[Recorder]:
    with recording_qmail_send(live_queue, work_dir / "queue-page-send.log") as recorder:
        yield recorder


def test_processing_now_tells_the_running_qmail_send(admin, send):
    html = admin.get(URL).content.decode()
    button = re.search(r'<button[^>]*data-testid="process-now"[^>]*>', html)
    assert button and "disabled" not in button[0]
    html = admin.post(f"{URL}process/", **HTMX).content.decode()
    assert "qmail-send was told to process the queue now" in html
    wait_for(lambda: "SIGALRM" in send.of(send.started()[0]), 5, "qmail-send to get ALRM")
    assert Change.objects.get().action == "svc -a"


def test_a_purge_stops_qmail_send_and_starts_it_again(admin, send, live_queue):
    html = admin.post(f"{URL}purge/", {"queue": "remote"}, **HTMX).content.decode()
    assert "20 messages will be deleted" in html
    assert len(send.started()) == 1  # the count alone does not stop qmail-send
    html = admin.post(
        f"{URL}purge/", {"queue": "remote", "confirm": "yes", "expect_count": "20"}, **HTMX
    ).content.decode()
    assert "20 messages deleted" in html
    first, second = send.wait_for(2)[:2]
    assert send.of(first)[:3] == ["start", "SIGTERM", "exit"] and send.of(second) == ["start"]
    assert [c.target for c in Change.objects.order_by("id")] == [
        "service qmail-send",
        "queue",
        "service qmail-send",
    ]


def test_a_qmail_send_nobody_supervises_turns_the_queues_changes_off_with_the_reason(
    admin, live_queue, work_dir
):
    with unsupervised_qmail_send(live_queue, work_dir / "queue-page-unsupervised.log"):
        html = admin.get(URL).content.decode()
        assert "runs outside supervise" in html
        for testid in ("purge-remote", "reset-queue", "delete-selected"):
            button = re.search(rf'<button[^>]*data-testid="{testid}"[^>]*>', html)
            assert button and "disabled" in button[0], testid
