"""Expiring messages now, as qmHandle's expire does: they bounce on qmail-send's next pass.

qmail-send counts a message's age from its info file's mtime (its birth) and, once the age is
past queuelifetime, makes one last attempt and turns a temporary failure into a bounce. So the
info file's mtime is set back to :data:`MARGIN` seconds beyond queuelifetime, and the message's
local and remote files get the current time as their mtime (the time qmail-send reads as "due"),
so the last attempt comes at once rather than at the next retry. A message still in todo/ has no
birth yet and is left alone.

Call only inside :func:`.sendlock.send_stopped`: qmail-send writes its own retry times over the
local and remote files' mtimes when it exits.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from ..errors import QmailError
from .layout import CHANNELS, Layout
from .reader import lstat_regular

# An hour past queuelifetime: a clock step, or a slightly longer queuelifetime written meanwhile,
# still leaves the message expired.
MARGIN: Final = 3600


@dataclass
class Expired:
    messages: list[tuple[int, int, int]] = field(default_factory=list)  # (id, old birth, new birth)
    not_preprocessed: list[int] = field(default_factory=list)
    absent: list[int] = field(default_factory=list)


def expire_messages(layout: Layout, ids: Iterable[int], *, lifetime: int, now: float) -> Expired:
    done = Expired()
    birth = int(now) - lifetime - MARGIN
    for msg_id in ids:
        info = layout.path("info", msg_id)
        st = lstat_regular(info)
        if st is None:
            missing = lstat_regular(layout.path("todo", msg_id)) is None
            (done.absent if missing else done.not_preprocessed).append(msg_id)
            continue
        new = min(birth, int(st.st_mtime))  # an older message stays as old as it is
        try:
            os.utime(info, (new, new), follow_symlinks=False)
            for channel in CHANNELS:
                path = layout.path(channel, msg_id)
                if lstat_regular(path) is not None:
                    os.utime(path, (int(now), int(now)), follow_symlinks=False)
        except OSError as exc:
            raise QmailError(f"cannot change the times of message {msg_id}'s files: {exc.strerror}") from exc
        done.messages.append((msg_id, int(st.st_mtime), new))
    return done
