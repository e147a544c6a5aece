"""Against a real qmail, when this host has one: purge, delete and reset with qmail-send running,
process now, and a test message delivered and traced through the send log.

It needs the development MTA that the real-qmail setup script (outside the project) builds from notqmail
(/var/qmail with me and locals mail.example.test, /service -> /etc/service with qmail-send and
qmail-smtpd supervised, alice with a Maildir, an SMTP sink answering 451 on 127.0.0.1:2529), and is
skipped without /var/qmail/bin/qmail-send. A host whose supervision tree is installed but not running
(after a reboot, or in CI, whose machine keeps the files but none of the processes) gets its svscan
started for these tests and stopped afterwards, as its boot would have started it. It works on that
host's own queue: purge, delete and reset through the same library the agent uses, process now, the
test message and its trace through the agent's own operations (in this process, configured for
server root /). A reset leaves the queue it moved aside as ``/var/qmail/queue.bad-…``, as it would
for an admin. After each change qmail-qread must agree with the panel, and qmail-send must have
logged no alert.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pwd
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mailserver.protocol import Op
from mailserver.qmail import services
from mailserver.qmail.logs.files import LogDir
from mailserver.qmail.logs.index import CACHE_ENV
from mailserver.qmail.logs.messages import Message, messages
from mailserver.qmail.logs.tai64n import encode, label_unix
from mailserver.qmail.paths import Roots
from mailserver.qmail.queue import changes, check, listing, qread, request, reset
from mailserver.qmail.queue.layout import Layout, discover
from tests.support.queues import qread_blocks as blocks
from tests.support.svscan import running_svscan

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
ACCEPTED = "accepted.example.org"  # routed to the sink that takes everything: delivered remotely
SINK_250 = "127.0.0.1:2526"
LOCAL = "mail.example.test"  # in the setup's control/locals (example.test itself is not: it goes remote)
TIMEOUT = 30.0

Agent = Callable[[Op, dict[str, Any]], dict[str, Any]]


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


def logged(msg_id: int, since: float) -> Message | None:
    """Message ``msg_id`` as qmail-send's log tells it from ``since`` on (the last one of that number)."""
    log = LogDir(REAL.log_dir("send"))
    try:
        found = [m for m in messages(log.chunks(log.seek(encode(since)), log.end)) if m.id == msg_id]
    finally:
        log.close()
    return found[-1] if found else None


def qmail_qread() -> str:
    return subprocess.run(
        [str(REAL.qmail_program("qmail-qread"))], capture_output=True, text=True, check=True
    ).stdout


def panel_qread(layout: Layout) -> str:
    page = listing.page(layout, listing.Filters(), now=time.time(), lifetime=604800, limit=None)
    return qread.qread(page.messages)


def agree(layout: Layout) -> None:
    assert blocks(qmail_qread()) == blocks(panel_qread(layout))


@pytest.fixture(scope="module")
def supervised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The host's services under svscan: the running one, or one started here and stopped afterwards."""
    if services.read_status(REAL, "qmail-send").supervised:
        yield
        return
    if not REAL.service_dir("qmail-send").is_dir():
        pytest.skip(f"qmail is installed but not supervised: no {REAL.service_dir('qmail-send')}")
    with running_svscan(REAL.service.resolve(), log=tmp_path_factory.mktemp("svscan") / "svscan.log"):
        yield


@pytest.fixture
def real(supervised: None) -> Iterator[Layout]:
    """The host's queue, DEFERRED routed to the 451 sink, ACCEPTED to the 250 one; no qmail-send alert
    (or warning) allowed."""
    assert services.wait_until(REAL, "qmail-send", "up", 10).up, "qmail-send is not running on this host"
    routes = REAL.control("smtproutes")
    saved = routes.read_bytes() if routes.exists() else None
    routes.write_text((saved or b"").decode() + f"{DEFERRED}:{SINK_451}\n{ACCEPTED}:{SINK_250}\n")
    started = time.time()
    try:
        yield discover(REAL.queue_dir)
        assert not [line for line in log_lines_since(started) if " alert: " in line or " warning: " in line]
        assert services.read_status(REAL, "qmail-send").up
    finally:
        if saved is None:
            routes.unlink()
        else:
            routes.write_bytes(saved)


@pytest.fixture
def agent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Agent:
    """The agent's operations in this process, configured for this host (server root /).

    The rest of the suite runs them on the test server under a temporary root; here the agent's
    configuration is that one with the server root and the daemontools directory of this host, and
    the log index it keeps goes to a temporary directory, not to the host's /var/cache.
    """
    import mailserver.agent.worker  # noqa: F401  (registers every operation, as the worker does)
    from mailserver.agent import celeryapp, logs_ops, operations, queue_ops

    host = dataclasses.replace(celeryapp.settings, server_root=Path("/"), bin_dir=REAL.bin)
    assert host.roots == REAL
    for module in (queue_ops, logs_ops):
        monkeypatch.setattr(module, "settings", host)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "log-index"))

    def call(op: Op, payload: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = json.loads(
            json.dumps(operations.envelope(op, json.loads(json.dumps(payload))))
        )
        return answer

    return call


def inject(sender: str, *recipients: str, subject: str = "queue test") -> None:
    subprocess.run(
        [str(REAL.qmail_program("qmail-inject")), "-a", "-f", sender, "--", *recipients],
        input=f"From: {sender}\nSubject: {subject}\n\nhello\n".encode(),
        check=True, timeout=TIMEOUT, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def delete(layout: Layout, *ids: int) -> changes.Outcome:
    wanted = request.delete_request({"ids": list(ids)})
    return changes.delete(layout, REAL, wanted, now=time.time(), wait=TIMEOUT)


def queued(layout: Layout, sender: str, count: int = 1) -> list[int]:
    """Send ``count`` messages from ``sender`` to the deferring sink; their numbers once preprocessed."""
    for n in range(count):
        inject(sender, f"user{n}@{DEFERRED}", subject=f"queue test {n}")
    wanted = request.filters({"sender": sender, "select": "remote"})
    return eventually(
        lambda: (ids := listing.matching_ids(layout, wanted, time.time())) and len(ids) == count and ids
    )


def deferred_once(msg_id: int, since: float) -> Message:
    """Wait for the first delivery of ``msg_id`` to be deferred: its next retry is then 400 s away."""
    return eventually(
        lambda: (m := logged(msg_id, since)) and m.attempts and m.attempts[0].result == "deferral" and m
    )


def test_purging_the_remote_queue_with_qmail_send_running(real):
    sender = f"purge-{int(time.time())}@example.test"
    ids = queued(real, sender, 3)
    dry = changes.purge(real, REAL, request.purge_request({"queue": "remote", "dry_run": True}), wait=TIMEOUT)
    assert set(ids) <= set(dry.chosen) and not dry.changed and f"#{ids[0]} " in qmail_qread()
    before = services.read_status(REAL, "qmail-send").pid
    confirmed = {"queue": "remote", "expect_count": len(dry.chosen)}
    outcome = changes.purge(real, REAL, request.purge_request(confirmed), wait=TIMEOUT)
    assert sorted(outcome.changed) == sorted(dry.chosen)
    assert outcome.stopped is not None and outcome.stopped.restarted
    assert services.wait_until(REAL, "qmail-send", "up", 10).pid != before
    agree(real)
    assert "remote" not in qmail_qread()


def test_deleting_the_messages_matching_a_filter_with_qmail_send_running(real):
    sender = f"filter-{int(time.time())}@example.test"
    ids = queued(real, sender, 3)
    before = services.read_status(REAL, "qmail-send").pid
    outcome = changes.delete(
        real, REAL, request.delete_request({"filters": {"sender": sender}}), now=time.time(), wait=TIMEOUT
    )
    assert sorted(outcome.changed) == sorted(ids)
    assert services.wait_until(REAL, "qmail-send", "up", 10).pid != before
    agree(real)
    assert not [i for i in ids if f"#{i} " in qmail_qread()]


def test_deleting_one_message_by_number_keeps_the_other(real):
    sender = f"delete-{int(time.time())}@example.test"
    keep, drop = queued(real, sender, 2)
    assert delete(real, drop).changed == [drop]
    assert f"#{keep} " in qmail_qread() and f"#{drop} " not in qmail_qread()
    agree(real)
    assert delete(real, keep).changed == [keep]
    agree(real)


def test_deleting_a_half_delivered_message(real):
    """Delivered to two of its three recipients: qmail-qread shows the remote one ``done``.

    (qmail-send removes local/N once every local recipient is done: the local one is no longer shown.)
    """
    sender = f"half-{int(time.time())}@example.test"
    since = time.time() - 1
    inject(sender, f"alice@{LOCAL}", f"user@{ACCEPTED}", f"user@{DEFERRED}")
    mine = request.filters({"sender": sender})
    (msg_id,) = eventually(lambda: listing.matching_ids(real, mine, time.time()))
    eventually(
        lambda: (m := logged(msg_id, since))
        and sorted((a.channel, a.recipient, a.result) for a in m.attempts)
        == [("local", f"alice@{LOCAL}", "success"), ("remote", f"user@{ACCEPTED}", "success"),
            ("remote", f"user@{DEFERRED}", "deferral")]
    )  # fmt: skip
    shown = qmail_qread()
    assert f"  done\tremote\tuser@{ACCEPTED}\n" in shown and f"\n\tremote\tuser@{DEFERRED}\n" in shown
    assert "local" not in shown
    agree(real)
    assert delete(real, msg_id).changed == [msg_id] and f"#{msg_id} " not in qmail_qread()
    agree(real)


def test_process_now_retries_a_deferred_message_at_once(real, agent):
    since = time.time() - 1
    sender = f"process-{int(time.time())}@example.test"
    (msg_id,) = queued(real, sender)
    first = deferred_once(msg_id, since).attempts[0]
    assert "451_4.3.0_sink-2529" in first.text  # the sink's reply (as logged): the next try is ~400 s away
    asked = time.time()
    answer = agent(Op.QUEUE_PROCESS, {})
    assert answer["ok"], answer
    message = eventually(
        lambda: (m := logged(msg_id, since)) and len(m.attempts) > 1 and m.attempts[1].result and m
    )
    again = message.attempts[1]
    assert again.result == "deferral" and "451_4.3.0_sink-2529" in again.text
    # By qmail-send's schedule a remote message's second try comes 400 s after its birth: one within
    # TIMEOUT of the ALRM came from the ALRM.
    assert label_unix(again.started) >= asked - 1
    assert delete(real, msg_id).changed == [msg_id]
    agree(real)


def test_reset_with_qmail_send_running(real):
    sender = f"reset-{int(time.time())}@example.test"
    (msg_id,) = queued(real, sender)
    done = reset.reset(REAL, wait=TIMEOUT)
    assert done.ok, [s.as_json() for s in done.steps]
    assert done.moved_to is not None and (discover(done.moved_to).path("info", msg_id)).exists()
    assert qmail_qread() == ""
    agree(discover(REAL.queue_dir))
    assert services.read_status(REAL, "qmail-send").up and services.read_status(REAL, "qmail-smtpd").up


def test_a_test_message_is_delivered_and_traced(real, agent):
    recipient = f"alice@{LOCAL}"
    sent = agent(Op.QUEUE_INJECT, {"from": f"dave@{LOCAL}", "to": [recipient], "subject": "panel test"})
    assert sent["ok"], sent
    injected = sent["data"]
    assert injected["id"] is not None

    def ended() -> dict[str, Any] | None:
        answer = agent(Op.LOGS_MESSAGE, {"id": injected["id"], "at": injected["at"]})
        return answer["data"] if answer["ok"] and answer["data"]["ended"] else None

    timeline = eventually(ended)
    assert timeline["sender"] == f"dave@{LOCAL}"
    assert [(a["channel"], a["recipient"], a["result"]) for a in timeline["attempts"]] == [
        ("local", recipient, "success")
    ]
    maildir = Path(pwd.getpwnam("alice").pw_dir) / "Maildir" / "new"
    header = f"X-Nodeworx-Test: {injected['token']}\n".encode()
    assert [p for p in maildir.iterdir() if header in p.read_bytes()]


SETPRIV = Path("/usr/bin/setpriv")
INJECT_AS_THE_AGENT = """
import json, sys
from mailserver.qmail.paths import Roots
from mailserver.qmail.queue import inject, request
from mailserver.qmail.queue.layout import discover
roots = Roots()
wanted = request.inject_request(json.loads(sys.argv[1]))
print(inject.inject(roots, discover(roots.queue_dir), wanted, timeout=30).id)
"""


@pytest.mark.skipif(os.geteuid() != 0 or not SETPRIV.exists(), reason="needs root and setpriv")
def test_a_test_message_sent_under_the_units_no_new_privileges_is_queued_as_qmail_queue_owns_it(real):
    # The agent's systemd unit sets NoNewPrivileges: the kernel then ignores qmail-queue's setuid bit,
    # and the message's files came out root's, which the panel's own queue check reports.
    sender = f"nnp-{int(time.time())}@example.test"
    payload = json.dumps({"from": sender, "to": [f"user@{DEFERRED}"], "subject": "under the unit"})
    done = subprocess.run(
        [str(SETPRIV), "--no-new-privs", sys.executable, "-c", INJECT_AS_THE_AGENT, payload],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=Path(__file__).resolve().parents[3],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    msg_id = int(done.stdout)
    qmailq = os.stat(REAL.qmail_program("qmail-queue")).st_uid
    assert os.stat(real.path("mess", msg_id)).st_uid == qmailq  # not 0, root's
    assert not [p for p in check.check(real, now=time.time()).problems if p.id == msg_id]
    assert delete(real, msg_id).changed == [msg_id]
    agree(real)
