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
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import QmailError
from .layout import Layout

ORDER = ("intd", "todo", "info", "local", "remote", "bounce", "mess")


@dataclass
class Removed:
    messages: list[int] = field(default_factory=list)  # every file of these is gone
    files: int = 0
    absent: list[int] = field(default_factory=list)  # had no file at all any more


class RemovalFailed(QmailError):
    def __init__(self, message: str, removed: Removed) -> None:
        super().__init__(message)
        self.removed = removed


def remove_messages(layout: Layout, ids: Iterable[int]) -> Removed:
    """Remove every file of each message of ``ids``; RemovalFailed (with what was done) on an error."""
    removed = Removed()
    for msg_id in ids:
        count = 0
        for kind in ORDER:
            path = layout.path(kind, msg_id)
            try:
                os.unlink(path)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise RemovalFailed(
                    f"{layout.relative(kind, msg_id)} could not be removed ({exc.strerror}); message "
                    f"{msg_id} is only partly deleted and qmail-send will not use it. "
                    f"{len(removed.messages)} messages before it were deleted; none after it was touched.",
                    removed,
                ) from exc
            count += 1
        removed.files += count
        (removed.messages if count else removed.absent).append(msg_id)
    return removed
