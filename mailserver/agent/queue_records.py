"""The change-log records of the queue's write operations, built from what the library reports.

A purge, delete or expire is recorded as qmail-send's stop, the change to the queue (the counts
before and after, and how many messages were touched, with their numbers) and qmail-send's start;
a reset as each service's stop and start and the seven steps with their outcome. A dry run
records nothing.
"""

from __future__ import annotations

from mailserver.protocol.records import ChangeRecord
from mailserver.qmail.queue.changes import Outcome
from mailserver.qmail.queue.index import Counts
from mailserver.qmail.queue.reset import Reset

SHOWN_IDS = 1000


def counts_text(counts: Counts) -> str:
    return (
        f"messages in queue: {counts.messages}\nnot yet preprocessed: {counts.unprocessed}\n"
        f"local: {counts.local}\nremote: {counts.remote}\n"
    )


def _service(name: str, action: str, before: str, after: str) -> ChangeRecord:
    return {"target": f"service {name}", "action": action, "before": before + "\n", "after": after + "\n"}


def change_records(outcome: Outcome, before: Counts, after: Counts) -> list[ChangeRecord]:
    if outcome.dry_run:
        return []
    events = [
        _service("qmail-send", e.action, e.before, e.after)
        for e in (outcome.stopped.events if outcome.stopped else [])
    ]
    touched = outcome.changed
    ids = " ".join(map(str, touched[:SHOWN_IDS])) + (" …" if len(touched) > SHOWN_IDS else "")
    verb = "expired" if outcome.action == "expire" else "deleted"
    queue: ChangeRecord = {
        "target": "queue",
        "action": outcome.action,
        "before": counts_text(before),
        "after": counts_text(after),
        "message": f"{len(touched)} messages {verb} ({outcome.what}): {ids}".rstrip(": "),
    }
    return [*events[:1], queue, *events[1:]]


def reset_records(done: Reset) -> list[ChangeRecord]:
    records = [_service(*event) for event in done.service_events]
    steps = "".join(
        f"{s.number}. {s.title}: {s.status}{' - ' + s.detail if s.detail else ''}\n" for s in done.steps
    )
    queue: ChangeRecord = {"target": "queue", "action": "reset", "before": "", "after": steps}
    if done.moved_to is not None:
        queue["message"] = f"the old queue is {done.moved_to}"
    if not done.ok:
        queue["result"] = "failed"
    return [*records, queue]
