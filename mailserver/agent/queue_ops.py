"""Mail Queue operations: counts, browsing, one message, the check (reads); purge, delete, expire,
reset, process now and the test message (writes).

Reads ROOTS.qmail/queue (every directory and file of it, through the queue library's safe
reader), ROOTS.qmail/control/queuelifetime, locals, me and virtualdomains, the status of
ROOTS.service/qmail-send and qmail-smtpd, and the end of ROOTS.log/send/current (to find the
test message). Writes only inside ROOTS.qmail: the files of the messages a purge, delete or
expire names (built from their numbers), and for a reset the queue directory itself, moved to
ROOTS.qmail/queue.bad-<time> and replaced by a fresh one; outside it only a reset's progress (its
steps so far) in the agent's STATE/queue-resets/TOKEN.json, for the page to follow. Also reads
the load average, memory and the queue's file system figures (statvfs) for the dashboard. Runs
``svc`` (-d, -u, -a) on qmail-send, qmail-smtpd and qmail-submission, and
ROOTS.qmail/bin/qmail-inject. Every change stops qmail-send first and starts it again afterwards,
also after a failure (mailserver.qmail.queue.sendlock). Payloads are checked by
mailserver.qmail.queue.request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mailserver.protocol import Op
from mailserver.protocol.records import ChangeRecord
from mailserver.qmail import services
from mailserver.qmail.environment import env_float
from mailserver.qmail.errors import FieldError, InvalidValue, QmailError
from mailserver.qmail.queue import (
    changes,
    content,
    inject,
    install,
    listing,
    request,
    reset,
    schedule,
    system,
)
from mailserver.qmail.queue.check import check
from mailserver.qmail.queue.index import index_for
from mailserver.qmail.queue.layout import Layout, discover
from mailserver.qmail.queue.message import read_message
from mailserver.qmail.queue.reader import read_small
from mailserver.qmail.queue.routing import route_for
from mailserver.qmail.queue.sendlock import SERVICE as SEND
from mailserver.qmail.queue.sendlock import lock_holder
from mailserver.services import registry

from . import progress_files, start_record
from .celeryapp import settings
from .operations import Payload, operation
from .queue_records import change_records, reset_records
from .transaction import serialised


def _layout() -> Layout:
    root = settings.roots.queue_dir
    if root.is_symlink() or not root.is_dir():
        raise QmailError(f"There is no queue on this server: {root} is not a directory.")
    return discover(root)


def _now() -> float:
    return time.time()


def _lifetime() -> int:
    return schedule.queuelifetime(settings.roots.qmail)


def _stop_wait() -> float:
    """How long a change waits for qmail-send to stop (it finishes the deliveries under way)."""
    return env_float("NODEWORX_QUEUE_STOP_WAIT", max(2.0, settings.timeout * 0.4))


def _missing(name: str) -> list[str]:
    return [str(path) for path in registry.get(name).missing(settings.roots)]


def _send_state() -> dict[str, Any]:
    status = services.read_status(settings.roots, "qmail-send")
    missing = _missing("qmail-send")
    return {
        "installed": not missing,
        "missing": missing,
        "supervised": status.supervised,
        "up": status.up,
        "summary": status.summary,
    }


def _disabled(send: dict[str, Any]) -> dict[str, str]:
    """Why each control is off (absent: it works), for the page to say beside it."""
    why: dict[str, str] = {}
    if not send["installed"]:
        why["process"] = (
            f"qmail-send is not installed on this server ({', '.join(send['missing'])} "
            f"{'is' if len(send['missing']) == 1 else 'are'} missing)."
        )
    elif not send["up"]:
        why["process"] = "qmail-send is not running, so there is nothing to tell to process the queue."
    program = inject.program(settings.roots)
    if not services.program_installed(program):
        why["inject"] = f"qmail-inject is not installed on this server ({program} is missing)."
    holder = lock_holder(settings.roots.queue_dir / "lock" / "sendmutex")
    if holder is not None and not (send["supervised"] and send["up"]):
        why["change"] = (
            f"qmail-send runs outside supervise (process {holder} holds lock/sendmutex): the panel cannot "
            "stop it, so it changes nothing in the queue (purge, delete, expire, reset)."
        )
    return why


@operation(Op.QUEUE_STATS)
def stats(payload: Payload) -> dict[str, Any]:
    """Counts (qmail-qstat's two figures, local, remote, todo, bouncing), the queues a reset moved
    aside with their message counts, qmail-send's state, which controls cannot work here, and the
    host's load, memory and the space and inodes left where the queue lives (for the dashboard)."""
    layout = _layout()
    send = _send_state()
    moved = []
    for queue in install.moved_aside(settings.roots.qmail):
        counts = index_for(discover(queue.path)).counts()
        moved.append({"name": queue.name, "moved_at": queue.moved_at, "messages": counts.messages})
    return {
        "counts": index_for(layout).counts().as_json(),
        "split": layout.split,
        "queuelifetime": _lifetime(),
        "moved_aside": moved,
        "qmail_send": send,
        "disabled": _disabled(send),
        "system": system.figures(layout.root),
        "at": _now(),
    }


@operation(Op.QUEUE_LIST)
def list_messages(payload: Payload) -> dict[str, Any]:
    """One page of messages. Payload: {"filters": {"sender", "recipient", "domain", "min_age",
    "max_age", "min_size", "max_size", "select"}, "sort": "arrived"|"size"|"sender"|"id"|"recipients",
    "descending": bool, "offset": N, "limit": 1..500}. Answers {"total", "offset", "limit",
    "messages": [the fixed JSON of each message], "counts"}."""
    wanted = request.list_request(payload)
    layout = _layout()
    found = listing.page(
        layout,
        wanted.filters,
        now=_now(),
        lifetime=_lifetime(),
        sort=wanted.sort,
        descending=wanted.descending,
        offset=wanted.offset,
        limit=wanted.limit,
        route=route_for(settings.roots.qmail),
    )
    return {
        "total": found.total,
        "offset": found.offset,
        "limit": wanted.limit,
        "messages": [m.as_json() for m in found.messages],
        "counts": index_for(layout).counts().as_json(),
    }


@operation(Op.QUEUE_MESSAGE)
def message(payload: Payload) -> dict[str, Any]:
    """Payload {"id": N}: the message, its headers and up to 64 KB of its body, and its bounce text."""
    msg_id = request.message_request(payload)
    layout = _layout()
    found = read_message(
        layout, msg_id, now=_now(), lifetime=_lifetime(), route=route_for(settings.roots.qmail)
    )
    if found is None:
        raise InvalidValue(f"Message {msg_id} is not in the queue (any more).")
    bounce = None
    if found.bouncing:
        try:
            bounce = read_small(layout.path("bounce", msg_id))[0].decode("utf-8", "replace")
        except (OSError, QmailError):
            bounce = None
    return {
        "message": found.as_json(),
        "content": content.read_content(layout, msg_id).as_json(),
        "bounce": bounce,
    }


@operation(Op.QUEUE_CHECK)
def check_queue(payload: Payload) -> dict[str, Any]:
    """queue-repair's test mode: orphaned or inconsistent files, owners, modes. Changes nothing."""
    return check(_layout(), now=_now()).as_json()


def _changed(run: Any) -> dict[str, Any]:
    """Run a change under the agent's write lock; answer what it did, for the page and the change log."""
    layout = _layout()
    index = index_for(layout)
    with serialised():
        before = index.counts()
        reads, started = start_record.reads_now(SEND), time.time()
        outcome: changes.Outcome = run(layout)
        after = index.counts()
        if outcome.stopped is not None and outcome.stopped.restarted:
            start_record.record_if_started(SEND, reads, started)  # "Restart it" judged by what it read
    return {
        "changes": change_records(outcome, before, after),
        "outcome": outcome.as_json(),
        "counts": after.as_json(),
    }


@operation(Op.QUEUE_PURGE)
def purge(payload: Payload) -> dict[str, Any]:
    """Delete every message of a part of the queue. Payload {"queue": "local"|"remote"|"todo"|"all",
    "dry_run": bool, "expect_count": N (the count the admin confirmed; refused if it changed)}."""
    wanted = request.purge_request(payload)
    return _changed(lambda layout: changes.purge(layout, settings.roots, wanted, wait=_stop_wait()))


@operation(Op.QUEUE_DELETE)
def delete(payload: Payload) -> dict[str, Any]:
    """Delete messages by number ({"ids": [...], "arrived": {"ID": epoch}}) or by filter
    ({"filters": {...}}), with "dry_run" and "expect_count" as for a purge."""
    wanted = request.delete_request(payload)
    now = _now()
    return _changed(lambda layout: changes.delete(layout, settings.roots, wanted, now=now, wait=_stop_wait()))


@operation(Op.QUEUE_EXPIRE)
def expire(payload: Payload) -> dict[str, Any]:
    """Make messages bounce on qmail-send's next pass: {"ids": [...], "dry_run": bool}."""
    wanted = request.expire_request(payload)
    now, lifetime = _now(), _lifetime()
    return _changed(
        lambda layout: changes.expire(
            layout, settings.roots, wanted, now=now, lifetime=lifetime, wait=_stop_wait()
        )
    )


def _progress_token(payload: Payload) -> str | None:
    return progress_files.token(payload.get("progress"), "progress")


def _progress_path(token: str) -> Path:
    """STATE/queue-resets/TOKEN.json: the steps a reset has done so far, for the page to follow."""
    folder = progress_files.folder("queue-resets")
    progress_files.sweep(folder)
    return folder / f"{token}.json"


def _progress_writer(token: str | None) -> Callable[[reset.Step], None] | None:
    if token is None:
        return None
    path = _progress_path(token)
    steps: dict[int, dict[str, Any]] = {}

    def write(step: reset.Step) -> None:
        steps[step.number] = step.as_json()
        progress_files.write(path, {"steps": [steps[n] for n in sorted(steps)], "finished": False})

    progress_files.write(path, {"steps": [], "finished": False})
    return write


@operation(Op.QUEUE_RESET_PROGRESS)
def reset_progress(payload: Payload) -> dict[str, Any]:
    """The steps a reset started with {"progress": TOKEN} has done so far: {"steps", "finished",
    "started"} (started false: the reset has not begun, or its progress is gone)."""
    token = _progress_token(payload)
    if token is None:
        raise FieldError("progress", "progress is required")
    data = progress_files.read(_progress_path(token))
    if data is None:
        return {"steps": [], "finished": False, "started": False}
    return {**data, "started": True}


@operation(Op.QUEUE_RESET)
def reset_queue(payload: Payload) -> dict[str, Any]:
    """The guide's seven steps ({"confirm": true}, and "progress": TOKEN to be followed with
    agent.queue.reset_progress): answers {"ok", "steps": [{"number", "title", "status", "detail",
    "seconds"}], "moved_to"} and the change records."""
    request.reset_request(payload)
    token = _progress_token(payload)
    _layout()
    on_step = _progress_writer(token)
    with serialised():
        reads = {name: start_record.reads_now(name) for name in (*reset.SMTP_SERVICES, SEND)}
        started = time.time()
        done = reset.reset(settings.roots, wait=_stop_wait(), on_step=on_step)
        for name, inputs in reads.items():
            start_record.record_if_started(name, inputs, started)
    if token is not None:
        progress_files.write(
            _progress_path(token), {"steps": [s.as_json() for s in done.steps], "finished": True}
        )
    answer = done.as_json()
    answer["changes"] = reset_records(done)
    if done.ok:
        answer["counts"] = index_for(_layout()).counts().as_json()
    return answer


@operation(Op.QUEUE_PROCESS)
def process(payload: Payload) -> dict[str, Any]:
    """svc -a to qmail-send: it retries every queued message now ("process the queue")."""
    send = _send_state()
    why = _disabled(send).get("process")
    if why:
        raise InvalidValue(why)
    before = services.read_status(settings.roots, "qmail-send")
    flags = services.control(settings.roots, "qmail-send", services.Action.ALARM)
    change: ChangeRecord = {
        "target": "service qmail-send",
        "action": f"svc {' '.join(flags)}",
        "before": before.summary + "\n",
        "after": services.read_status(settings.roots, "qmail-send").summary + "\n",
        "message": "qmail-send was told to process the queue now",
    }
    return {"changes": [change]}


@operation(Op.QUEUE_INJECT)
def inject_test(payload: Payload) -> dict[str, Any]:
    """A test message through qmail-inject: {"from", "to": [...], "subject", "body"}. Answers
    {"id", "found_in", "at", "token"}: the page follows message ``id`` from ``at`` in the send log."""
    wanted = request.inject_request(payload)
    found = inject.inject(settings.roots, _layout(), wanted, timeout=min(30.0, settings.timeout * 0.8))
    change: ChangeRecord = {
        "target": "queue",
        "action": "test message",
        "after": f"From: {wanted.sender}\nTo: {', '.join(wanted.recipients)}\nSubject: {wanted.subject}\n",
        "message": f"queued as message {found.id}" if found.id else "queued (its number was not found)",
    }
    return {"changes": [change], **found.as_json()}
