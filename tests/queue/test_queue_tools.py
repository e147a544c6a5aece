"""The test message and following it through the send log, the reset and the queue check."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator

import pytest

from mailserver.core.models import Change
from mailserver.qmail.paths import Roots
from tests.support.queues import QSTAT

pytestmark = pytest.mark.django_db

URL = "/mailserver/queue/"
HTMX = {"HTTP_HX_REQUEST": "true"}
TEST = {"sender": "admin@example.test", "to": "bob@example.test", "subject": "hello", "body": "hi"}


@pytest.fixture
def silent_inject(roots: Roots) -> Iterator[None]:
    """A qmail-inject that accepts the message and queues nothing anyone can find (the demo has none)."""
    program = roots.qmail / "bin" / "qmail-inject"
    program.write_text("#!/bin/sh\ncat >/dev/null\nexit 0\n")
    program.chmod(0o755)
    try:
        yield
    finally:
        program.unlink()


@pytest.fixture
def queueing_inject(roots: Roots) -> Iterator[None]:
    """A qmail-inject that puts the message into the queue as qmail-queue names it (mess/N mod 23/N,
    N its inode), and nothing more: the page finds its number and starts following it."""
    program = roots.qmail / "bin" / "qmail-inject"
    program.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        f"mess = {str(roots.queue_dir / 'mess')!r}\n"
        "temp = os.path.join(mess, '0', 'incoming')\n"
        "with open(temp, 'wb') as out:\n"
        "    out.write(sys.stdin.buffer.read())\n"
        "number = os.stat(temp).st_ino\n"
        "os.rename(temp, os.path.join(mess, str(number % 23), str(number)))\n"
    )
    program.chmod(0o755)
    try:
        yield
    finally:
        program.unlink()


def test_a_queued_test_message_is_followed_by_its_number(admin_client, roots, queueing_inject):
    html = admin_client.post(f"{URL}test/", TEST, **HTMX).content.decode()
    number = re.search(r"Queued as message ([0-9]+); following it below", html)
    assert number and (roots.queue_dir / "mess" / str(int(number[1]) % 23) / number[1]).exists()
    assert re.search(
        rf'hx-get="{URL}test/follow/\?id={number[1]}&amp;at=[0-9.]+" hx-trigger="load delay:2s"', html
    )
    assert Change.objects.get(target="queue").message == f"queued as message {number[1]}"


def test_the_test_message_is_off_with_the_agents_reason_where_qmail_inject_is_missing(admin_client, roots):
    html = admin_client.get(URL).content.decode()
    assert "qmail-inject is not installed on this server" in html
    button = re.search(r'<button[^>]*data-testid="send-test"[^>]*>', html)
    assert button and "disabled" in button[0]
    html = admin_client.post(f"{URL}test/", TEST, **HTMX).content.decode()
    assert "no test message can be sent" in html and 'value="bob@example.test"' in html
    assert Change.objects.get().result == "refused"


def test_a_bad_recipient_is_refused_beside_its_field_and_nothing_is_sent(admin_client, roots):
    html = admin_client.post(f"{URL}test/", {**TEST, "to": "bob@, -x@example.test"}, **HTMX).content.decode()
    error = re.search(r'id="error_1_id_test_to"><strong>([^<]*)<', html)
    assert error and error[1] == "The domain is empty."  # "bob@", the first bad address
    assert 'value="bob@, -x@example.test"' in html
    assert not Change.objects.exists()


def test_a_queued_message_whose_number_was_not_found_says_so(admin_client, roots, silent_inject):
    html = admin_client.post(f"{URL}test/", TEST, **HTMX).content.decode()
    said = re.search(r'data-testid="test-sent">\s*(.*?)\s*</div>', html, re.S)
    assert said and re.fullmatch(
        r'Queued; its number was not found, see <a href="/mailserver/logs/">Mail Logs</a> '
        r"from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.",
        said[1],
    )  # it said "from 1795613737 (epoch seconds)"
    assert 'id="queue-follow"' not in html  # nothing to follow
    change = Change.objects.get(target="queue")
    assert (change.action, change.result) == ("test message", "applied")


def test_following_a_message_shows_its_timeline_and_stops_once_it_left_the_queue(admin_client, roots):
    html = admin_client.get(f"{URL}test/follow/", {"id": "1466983", "at": "1795613737.5"}, **HTMX)
    html = html.content.decode()
    assert "delivery 278 deferral: Sorry, I wasn&#x27;t able to establish an SMTP connection." in html
    assert 'data-testid="follow-ended"' in html
    assert "hx-trigger" not in html  # it left the queue: no more asking


def test_a_message_not_yet_in_the_log_is_asked_for_again_in_2_s(admin_client, roots):
    at = f"{time.time():f}"
    html = admin_client.get(f"{URL}test/follow/", {"id": "999", "at": at}, **HTMX).content.decode()
    assert "Not in the send log yet" in html
    assert 'hx-trigger="load delay:2s"' in html and f"id=999&amp;at={at}" in html


def test_reset_asks_first_then_moves_the_queue_aside_and_lists_it(admin_client, roots):
    html = admin_client.post(f"{URL}reset/", **HTMX).content.decode()
    assert "moved aside to <code>queue.bad-&lt;time&gt;</code>, never deleted" in html
    assert not list(roots.qmail.glob("queue.bad-*"))

    html = admin_client.post(f"{URL}reset/", {"confirm": "yes"}, **HTMX).content.decode()
    steps = re.findall(r'data-status="([a-z ]+)"', html)
    assert len(steps) == 7 and "failed" not in steps
    moved = list(roots.qmail.glob("queue.bad-*"))
    assert len(moved) == 1 and moved[0].name in html
    assert re.search(rf"<code>{moved[0].name}</code>: 27 messages", html)
    assert Change.objects.filter(target="queue", action="reset").exists()


def test_the_queue_check_groups_what_it_finds_and_changes_nothing(admin_client, roots):
    before = sorted(p.stat().st_mtime_ns for p in roots.queue_dir.rglob("*"))
    html = admin_client.get(f"{URL}check/", **HTMX).content.decode()
    assert "27 messages" in html and "27 notices" in html
    assert re.search(r'data-testid="check-kind-[a-z_-]+"', html)
    assert sorted(p.stat().st_mtime_ns for p in roots.queue_dir.rglob("*")) == before
    assert QSTAT.startswith("messages in queue: 27")


def test_following_stops_after_the_time_limit(admin_client, roots):
    at = f"{time.time() - 130:f}"
    html = admin_client.get(f"{URL}test/follow/", {"id": "999", "at": at}, **HTMX).content.decode()
    assert "no longer following" in html and "hx-trigger" not in html


def test_a_reset_is_followed_step_by_step_under_the_token_of_its_confirmation(admin_client, roots):
    html = admin_client.post(f"{URL}reset/", **HTMX).content.decode()
    token = re.search(r'name="progress" value="([A-Za-z0-9_-]{16})"', html)[1]
    assert f'hx-get="{URL}reset/progress/?token={token}" hx-trigger="submit from:#reset-form"' in html

    waiting = admin_client.get(f"{URL}reset/progress/", {"token": token}, **HTMX).content.decode()
    assert re.findall(r'data-status="([a-z ]+)"', waiting) == ["waiting"] * 7  # not begun yet
    assert 'hx-trigger="load delay:1s"' in waiting

    admin_client.post(f"{URL}reset/", {"confirm": "yes", "progress": token}, **HTMX)
    done = admin_client.get(f"{URL}reset/progress/", {"token": token}, **HTMX).content.decode()
    steps = re.findall(r'data-status="([a-z ]+)"', done)
    assert len(steps) == 7 and set(steps) <= {"done", "skipped"}
    assert "Move the queue aside" in done and "hx-trigger" not in done  # finished: no more asking
