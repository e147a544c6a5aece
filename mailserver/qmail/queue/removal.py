"""Deleting messages: exactly their files, in an order that never leaves a message qmail would act on.

Call only inside :func:`.sendlock.send_stopped`. For each message the files go in this order:

1. ``intd/ID`` then ``todo/ID``, as qmail-clean removes them: while todo/ID exists qmail-send
   would preprocess the message again;
2. ``info/N/ID``: qmail-send knows a message by its info file (``pqstart`` reads info/), so
   from here on it no longer exists for qmail-send, and its other files are never read;
3. ``local/N/ID``, ``remote/N/ID`` and ``bounce/ID``: removed before the info file instead,
   they would make qmail-send think the message finished, and inject the collected bounce;
4. ``mess/N/ID`` last: the message's number is its mess file's inode, so no new message can
   take the number (and inherit a stale bounce or recipient file) while any other file of it
   is left. A mess file alone is what qmail-send's own cleanup removes after 36 hours.

A message interrupted anywhere in this order is either still whole or invisible to qmail-send;
the queue check lists what is left. Nothing but those seven paths is touched, each built from
the message's number.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Final

from ..errors import QmailError
from .layout import Layout

ORDER = ("intd", "todo", "info", "local", "remote", "bounce", "mess")
# A big purge removes messages side by side: each unlink waits on the file system's journal, and
# several in flight finish three times sooner on the bench machine (bench/README.md). The files
# of one message still go one after another, in ORDER.
WORKERS: Final = 8
SERIAL_BELOW: Final = 200


@dataclass
class Removed:
    messages: list[int] = field(default_factory=list)  # every file of these is gone
    files: int = 0
    absent: list[int] = field(default_factory=list)  # had no file at all any more


class RemovalFailed(QmailError):
    def __init__(self, message: str, removed: Removed) -> None:
        super().__init__(message)
        self.removed = removed


class _Failed(Exception):
    def __init__(self, relative: str, error: OSError) -> None:
        self.relative, self.error = relative, error


def _remove(layout: Layout, msg_id: int, stop: threading.Event) -> int | None:
    """Remove message ``msg_id``'s files in ORDER; how many there were (None: skipped, after a failure)."""
    if stop.is_set():
        return None
    count = 0
    for kind in ORDER:
        try:
            os.unlink(layout.path(kind, msg_id))
        except FileNotFoundError:
            continue
        except OSError as exc:
            stop.set()
            raise _Failed(layout.relative(kind, msg_id), exc) from exc
        count += 1
    return count


def remove_messages(layout: Layout, ids: Iterable[int]) -> Removed:
    """Remove every file of each message of ``ids``; RemovalFailed (with what was done) on an error.

    After an error no further message is begun: each message is then wholly deleted, untouched,
    or (the one that failed) stopped at a point of ORDER that qmail-send ignores.
    """
    wanted = list(ids)
    stop = threading.Event()
    outcomes: list[int | _Failed | None] = []
    if len(wanted) < SERIAL_BELOW:
        for msg_id in wanted:
            try:
                outcomes.append(_remove(layout, msg_id, stop))
            except _Failed as error:
                outcomes.append(error)
    else:
        with ThreadPoolExecutor(WORKERS, thread_name_prefix="queue-removal") as pool:
            futures = [pool.submit(_remove, layout, msg_id, stop) for msg_id in wanted]
            for future in futures:
                raised = future.exception()
                outcomes.append(raised if isinstance(raised, _Failed) else future.result())
    removed = Removed()
    failures = []
    for msg_id, outcome in zip(wanted, outcomes, strict=True):
        if isinstance(outcome, _Failed):
            failures.append((msg_id, outcome))
        elif outcome is not None:
            removed.files += outcome
            (removed.messages if outcome else removed.absent).append(msg_id)
    if failures:
        msg_id, first = failures[0]
        untouched = sum(outcome is None for outcome in outcomes)
        raise RemovalFailed(
            f"{first.relative} could not be removed ({first.error.strerror}); message {msg_id} is only "
            f"partly deleted and qmail-send will not use it. {len(removed.messages)} messages were deleted; "
            f"{untouched} were not touched.",
            removed,
        )
    return removed
