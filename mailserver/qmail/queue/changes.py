"""The queue's destructive operations, whole: choose, stop qmail-send, choose again, change, restart.

Shared by the agent and ``mailqueue``. Each operation first chooses its messages on the running
queue (a dry run stops here and changes nothing), then, inside :func:`.sendlock.send_stopped`,
chooses again: while qmail-send ran, messages may have left and their numbers been reused, so
only what is chosen with qmail-send stopped is changed. A count the admin confirmed
(``expect_count``) must still hold then, or nothing is changed. qmail-send is started again
afterwards whatever happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import Conflict
from ..paths import Roots
from . import index as cached
from .expiry import expire_messages
from .layout import KINDS, Layout
from .listing import Selection, matching_ids
from .reader import lstat_regular
from .removal import remove_messages
from .request import DeleteRequest, ExpireRequest, PurgeRequest
from .sendlock import Stopped, send_stopped


@dataclass
class Outcome:
    action: str  # "delete", "purge remote", "expire"
    what: str  # the messages, in words ("3 messages by number", "sender @spam.example")
    dry_run: bool
    chosen: list[int]  # the messages chosen (with qmail-send stopped, unless a dry run)
    changed: list[int] = field(default_factory=list)
    skipped: dict[str, list[int]] = field(default_factory=dict)  # why -> numbers
    files: int = 0
    stopped: Stopped | None = None
    details: list[tuple[int, int, int]] = field(default_factory=list)  # expire: (id, old birth, new birth)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "action": self.action,
            "what": self.what,
            "dry_run": self.dry_run,
            "count": len(self.chosen),
            "ids": self.chosen[:1000],
            "changed": len(self.changed),
            "skipped": {why: ids[:1000] for why, ids in self.skipped.items()},
            "files": self.files,
        }
        if self.stopped is not None:
            data["qmail_send"] = {
                "was": self.stopped.service_was,
                "restarted": self.stopped.restarted,
                "events": [vars(e) for e in self.stopped.events],
                "notes": self.stopped.notes,
                "down_seconds": self.stopped.down_seconds,
            }
        return data

    def lines(self) -> list[str]:
        verb = {"expire": "expired"}.get(self.action, "deleted")
        if self.dry_run:
            shown = " ".join(map(str, self.chosen[:50])) + (" …" if len(self.chosen) > 50 else "")
            return [f"{len(self.chosen)} messages would be {verb} ({self.what}): {shown}".rstrip(": ")]
        lines = []
        if self.stopped is not None:
            lines += [
                f"qmail-send: {e.action}: {e.after}" + (f" ({e.failed})" if e.failed else "")
                for e in self.stopped.events
            ]
            lines += self.stopped.notes
        lines.append(f"{len(self.changed)} messages {verb} ({self.what})")
        lines += [f"{len(ids)} left alone: {why}" for why, ids in self.skipped.items() if ids]
        return lines


def _existing(layout: Layout, ids: tuple[int, ...]) -> list[int]:
    return [i for i in ids if any(lstat_regular(layout.path(kind, i)) is not None for kind in KINDS)]


def _confirmed(expect: int | None, chosen: list[int], what: str) -> None:
    if expect is not None and expect != len(chosen):
        raise Conflict(
            f"{len(chosen)} messages match {what} now, not the {expect} you confirmed: the queue changed. "
            "Nothing was deleted; look at the new count and confirm again."
        )


def _run(
    layout: Layout,
    roots: Roots | None,
    outcome: Outcome,
    choose: Callable[[], tuple[list[int], dict[str, list[int]]]],
    change: Callable[[list[int], Outcome], None],
    expect: int | None,
    wait: float,
) -> Outcome:
    outcome.chosen, outcome.skipped = choose()
    _confirmed(expect, outcome.chosen, outcome.what)
    if outcome.dry_run or not outcome.chosen:
        return outcome
    with send_stopped(layout, roots, timeout=wait) as stopped:
        outcome.stopped = stopped
        outcome.chosen, outcome.skipped = choose()  # again: qmail-send may have changed the queue
        _confirmed(expect, outcome.chosen, outcome.what)
        change(outcome.chosen, outcome)
    return outcome


def _remove(layout: Layout) -> Callable[[list[int], Outcome], None]:
    def change(ids: list[int], outcome: Outcome) -> None:
        removed = remove_messages(layout, ids)
        outcome.changed, outcome.files = removed.messages, removed.files

    return change


def delete(
    layout: Layout, roots: Roots | None, request: DeleteRequest, *, now: float, wait: float
) -> Outcome:
    """Delete the messages named (by number) or matching the filters."""
    if request.ids is not None:
        ids = request.ids
        what = f"{len(ids)} message{'s' if len(ids) != 1 else ''} by number"

        def choose() -> tuple[list[int], dict[str, list[int]]]:
            present = _existing(layout, ids)
            skipped = {"no longer in the queue": [i for i in ids if i not in present]}
            if request.arrived:
                births = Selection(layout).entries()
                arrived = {e.id: int(e.arrived) for e in births}
                reused = [i for i in present if i in request.arrived and arrived.get(i) != request.arrived[i]]
                skipped["a newer message has this number"] = reused
                present = [i for i in present if i not in reused]
            return present, skipped

    else:
        assert request.filters is not None
        filters = request.filters
        what = filters.describe()

        def choose() -> tuple[list[int], dict[str, list[int]]]:
            return matching_ids(layout, filters, now), {}

    outcome = Outcome("delete", what, request.dry_run, [])
    return _run(layout, roots, outcome, choose, _remove(layout), request.expect_count, wait)


def purge(layout: Layout, roots: Roots | None, request: PurgeRequest, *, wait: float) -> Outcome:
    """Delete every message of the local, remote or todo queue, or every message and leftover."""
    index = cached.index_for(layout)
    kinds = KINDS if request.part == "all" else (request.part,)

    def choose() -> tuple[list[int], dict[str, list[int]]]:
        index.refresh(kinds)
        return sorted(set().union(*(index.ids(kind) for kind in kinds))), {}

    what = "every message" if request.part == "all" else f"every message in {request.part}"
    outcome = Outcome(f"purge {request.part}", what, request.dry_run, [])
    return _run(layout, roots, outcome, choose, _remove(layout), request.expect_count, wait)


def expire(
    layout: Layout, roots: Roots | None, request: ExpireRequest, *, now: float, lifetime: int, wait: float
) -> Outcome:
    """Make the named messages bounce on qmail-send's next pass."""
    ids = request.ids

    def choose() -> tuple[list[int], dict[str, list[int]]]:
        present = [i for i in ids if lstat_regular(layout.path("info", i)) is not None]
        waiting = [i for i in ids if i not in present and lstat_regular(layout.path("todo", i)) is not None]
        gone = [i for i in ids if i not in present and i not in waiting]
        return present, {"not yet preprocessed (no birth yet)": waiting, "no longer in the queue": gone}

    def change(chosen: list[int], outcome: Outcome) -> None:
        try:
            done = expire_messages(layout, chosen, lifetime=lifetime, now=now)
        finally:
            cached.index_for(layout).invalidate()  # births changed in place: no directory shows it
        outcome.changed = [msg_id for msg_id, _, _ in done.messages]
        outcome.details = done.messages

    what = f"{len(ids)} message{'s' if len(ids) != 1 else ''} by number"
    outcome = Outcome("expire", what, request.dry_run, [])
    return _run(layout, roots, outcome, choose, change, None, wait)
