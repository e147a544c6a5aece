"""The MTA page's pending restarts: what running qmail-send would read differently at a new start.

qmail-send (stand-ins for qmail-start and qmail-send, its real run script and ``rc``) runs under
the session's svscan, started through the signed agent, which records what each new process
started with; or by hand, which leaves only file times to go by, and the page says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client

from mailserver.core import agent
from mailserver.demo import builder
from mailserver.protocol import Op
from mailserver.qmail import services
from mailserver.qmail.paths import Roots
from tests.support.stand_ins import QMAIL_SEND, TIMEOUT

pytestmark = pytest.mark.integration
SEND = "qmail-send"


def reset(roots: Roots) -> None:
    builder.reset(roots, smtpd_user="nobody", log_user="nobody")


def stop(roots: Roots) -> None:
    if services.read_status(roots, SEND).up:
        services.control(roots, SEND, "down")
        services.wait_until(roots, SEND, "down", TIMEOUT)


@pytest.fixture
def send_installed(stack: dict[str, object]) -> Iterator[Roots]:
    """qmail-send's stand-ins installed on the reset test server, down; all undone afterwards."""
    roots = stack["roots"]
    assert isinstance(roots, Roots)
    reset(roots)
    bin_dir = roots.qmail / "bin"
    for name, text in QMAIL_SEND.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    try:
        yield roots
    finally:
        try:
            stop(roots)
        finally:
            for name in QMAIL_SEND:
                (bin_dir / name).unlink(missing_ok=True)
            reset(roots)


def started_by_the_panel(roots: Roots) -> int:
    action = "restart" if services.read_status(roots, SEND).up else "up"
    status = agent.call(Op.SERVICE_CONTROL, {"service": SEND, "action": action}, timeout=30)["status"]
    assert status["up"], status
    return int(status["pid"])


def pending() -> tuple[dict[str, list[str]], list[str]]:
    state = agent.call("agent.mta.read_state")
    return state["pending_restarts"], state.get("pending_by_file_time", [])


def later_than_the_start(path: os.PathLike[str]) -> None:
    since = agent.call("agent.mta.read_state")["services"][SEND]["since"]
    os.utime(path, (since + 5, since + 5))


def test_qmail_send_is_asked_to_restart_for_what_it_reads_at_start_whatever_the_file_times(send_installed):
    roots = send_installed
    started_by_the_panel(roots)
    assert pending() == ({}, [])

    # Read by qmail-send at start, though not a box of the page: the old advice never looked at it.
    roots.control("concurrencylocal").write_text("5\n")
    assert pending() == ({SEND: ["concurrencylocal"]}, [])
    started_by_the_panel(roots)
    assert pending() == ({}, [])

    # A file removed has no time to compare: rc reads defaultdelivery with cat at each start.
    roots.control("defaultdelivery").unlink()
    assert pending() == ({SEND: ["defaultdelivery"]}, [])


def test_a_rewrite_with_the_same_bytes_asks_qmail_send_for_no_restart(send_installed):
    roots = send_installed
    started_by_the_panel(roots)
    for name in ("me", "defaultdelivery"):
        path = roots.control(name)
        path.write_bytes(path.read_bytes())
        later_than_the_start(path)
    assert pending() == ({}, [])


def test_qmail_send_started_by_hand_is_judged_by_file_times_and_the_page_says_so(send_installed, db):
    roots = send_installed
    services.control(roots, SEND, "up")  # by hand: the panel has no record of what it read
    services.wait_until(roots, SEND, "up", TIMEOUT)
    me = roots.control("me")
    me.write_bytes(me.read_bytes())
    later_than_the_start(me)
    assert pending() == ({SEND: ["me"]}, [SEND])

    client = Client()
    client.force_login(User.objects.create_superuser("admin", "admin@example.test", "pw"))
    html = client.get("/mailserver/mta/").content.decode()
    assert "written since it started: me" in html
    assert "The panel did not start the running qmail-send: only file times could be compared" in html


def test_qmail_send_started_again_by_a_queue_purge_is_judged_by_what_it_read(send_installed):
    # A purge, delete or expire stops qmail-send and starts it again: that start left no record,
    # and the page then said the panel had not started the running qmail-send.
    roots = send_installed
    services.control(roots, SEND, "up")  # by hand, before the purge
    services.wait_until(roots, SEND, "up", TIMEOUT)
    before = services.read_status(roots, SEND).pid
    purged = agent.call(Op.QUEUE_PURGE, {"queue": "remote", "dry_run": True}, timeout=30)
    confirmed = {"queue": "remote", "expect_count": purged["outcome"]["count"]}
    assert agent.call(Op.QUEUE_PURGE, confirmed, timeout=60)["outcome"]["qmail_send"]["restarted"]
    assert services.read_status(roots, SEND).pid != before  # stopped and started again
    me = roots.control("me")
    me.write_bytes(me.read_bytes())
    later_than_the_start(me)
    assert pending() == ({}, [])
