"""Against a real qmail, when this host has one: purge, delete and reset with qmail-send running,
process now, and a test message delivered and traced through the send log.

It needs the development MTA that the real-qmail setup script (outside the project) builds from notqmail
(/var/qmail, /service -> /etc/service with qmail-send and qmail-smtpd supervised, alice with a
Maildir, an SMTP sink answering 451 on 127.0.0.1:2529), and is skipped without
/var/qmail/bin/qmail-send. It works on that host's own queue, through the same library the agent
uses; a reset leaves the queue it moved aside as ``/var/qmail/queue.bad-…``, as it would for an
admin. After each change qmail-qread must agree with the panel, and qmail-send must have logged no
alert.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest

from mailserver.qmail import services
from mailserver.qmail.logs.files import LogDir
from mailserver.qmail.logs.messages import messages
from mailserver.qmail.logs.tai64n import encode
from mailserver.qmail.paths import Roots
from mailserver.qmail.queue import changes, inject, listing, qread, request, reset
from mailserver.qmail.queue.layout import Layout, discover
from tests.support.queues import qread_blocks as blocks

REAL = Roots()  # /var/qmail, /service, /var/log/qmail, /usr/bin: the host's own
QMAIL_SEND = REAL.qmail_program("qmail-send")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not QMAIL_SEND.exists(),
        reason=f"no real qmail on this host ({QMAIL_SEND} does not exist); "
        "the real-qmail setup script beside the project (not part of it) builds one",
    ),
]
DEFERRED = "deferred.example.org"  # routed to the sink that answers 451: stays queued
SINK_451 = "127.0.0.1:2529"
TIMEOUT = 30.0


def eventually(check, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return result


def log_lines_since(since: float) -> list[str]:
    log = LogDir(REAL.log_dir("send"))
    try:
        return [line.decode("utf-8", "replace") for line in log.lines(log.seek(encode(since)))]
    finally:
        log.close()


def qmail_qread() -> str:
    return subprocess.run(
        [str(REAL.qmail_program("qmail-qread"))], capture_output=True, text=True, check=True
    ).stdout


def panel_qread(layout: Layout) -> str:
    page = listing.page(layout, listing.Filters(), now=time.time(), lifetime=604800, limit=None)
    return qread.qread(page.messages)


@pytest.fixture
def real() -> Iterator[Layout]:
    """The host's queue, with DEFERRED routed to the 451 sink; no qmail-send alert allowed."""
    routes = REAL.control("smtproutes")
    saved = routes.read_bytes() if routes.exists() else None
    routes.write_text((saved or b"").decode() + f"{DEFERRED}:{SINK_451}\n")
    started = time.time()
    try:
        yield discover(REAL.queue_dir)
        assert not [line for line in log_lines_since(started) if " alert: " in line]
        assert services.read_status(REAL, "qmail-send").up
    finally:
        if saved is None:
            routes.unlink()
        else:
            routes.write_bytes(saved)


def queued(layout: Layout, sender: str, count: int = 1) -> list[int]:
    """Send ``count`` messages from ``sender`` to the deferring sink; their numbers once preprocessed."""
    for n in range(count):
        subprocess.run(
            [str(REAL.qmail_program("qmail-inject")), "-a", "-f", sender, "--", f"user{n}@{DEFERRED}"],
            input=f"From: {sender}\nSubject: queue test {n}\n\nhello\n".encode(),
            check=True, timeout=TIMEOUT, env={"PATH": "/usr/bin:/bin"},
        )  # fmt: skip
    wanted = request.filters({"sender": sender, "select": "remote"})
    return eventually(
        lambda: (ids := listing.matching_ids(layout, wanted, time.time())) and len(ids) == count and ids
    )


def test_purge_with_qmail_send_running(real):
    sender = f"purge-{int(time.time())}@example.test"
    ids = queued(real, sender, 3)
    before = services.read_status(REAL, "qmail-send").pid
    outcome = changes.delete(
        real, REAL, request.delete_request({"filters": {"sender": sender}}), now=time.time(), wait=TIMEOUT
    )
    assert sorted(outcome.changed) == sorted(ids)
    assert services.wait_until(REAL, "qmail-send", "up", 10).pid != before
    assert blocks(qmail_qread()) == blocks(panel_qread(real))
    assert not [i for i in ids if f"#{i} " in qmail_qread()]


def test_delete_by_number_and_process_now(real):
    sender = f"delete-{int(time.time())}@example.test"
    keep, drop = queued(real, sender, 2)
    changes.delete(real, REAL, request.delete_request({"ids": [drop]}), now=time.time(), wait=TIMEOUT)
    assert f"#{keep} " in qmail_qread() and f"#{drop} " not in qmail_qread()
    asked = time.time()
    services.control(REAL, "qmail-send", services.Action.ALARM)
    eventually(lambda: any(f"msg {keep} to remote" in line for line in log_lines_since(asked)))
    changes.delete(real, REAL, request.delete_request({"ids": [keep]}), now=time.time(), wait=TIMEOUT)


def test_reset_with_qmail_send_running(real):
    sender = f"reset-{int(time.time())}@example.test"
    (msg_id,) = queued(real, sender)
    done = reset.reset(REAL, wait=TIMEOUT)
    assert done.ok, [s.as_json() for s in done.steps]
    assert done.moved_to is not None and (discover(done.moved_to).path("info", msg_id)).exists()
    assert qmail_qread() == ""
    assert services.read_status(REAL, "qmail-send").up and services.read_status(REAL, "qmail-smtpd").up


def test_a_test_message_is_delivered_and_traced(real):
    wanted = request.inject_request(
        {"from": "dave@example.test", "to": ["alice@example.test"], "subject": "panel test"}
    )
    found = inject.inject(REAL, real, wanted, timeout=TIMEOUT)
    assert found.id is not None

    def delivered():
        log = LogDir(REAL.log_dir("send"))
        try:
            for message in messages(log.chunks(log.seek(encode(found.started - 1)), log.end())):
                if message.id == found.id and message.ended:
                    return message
        finally:
            log.close()
        return None

    message = eventually(delivered)
    assert [(a.channel, a.recipient, a.result) for a in message.attempts] == [
        ("local", "alice@example.test", "success")
    ]
