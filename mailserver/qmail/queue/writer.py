"""Writing messages into a stopped queue exactly as qmail-queue and qmail-send leave them.

For the bench's generated queues and the tests; the panel itself never writes a message (its
test message goes through qmail-inject). qmail-queue takes a message's number from the inode of
a fresh ``pid/`` file, links that file to ``mess/<n mod split>/<n>`` and removes the pid name,
then writes the envelope to ``intd/<n>`` and links it as ``todo/<n>``; qmail-send's
preprocessing turns that into ``info`` (its mtime is the birth), ``local`` and ``remote`` (their
mtimes are the next retry), and a failing delivery into ``bounce``. Owners and modes are
qmail's (:mod:`.install`, :mod:`.check`) when the caller is root.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from itertools import count

from .install import Owners
from .layout import CHANNELS, Layout
from .reader import lstat_regular, read_small
from .records import Recipient, encode_channel, encode_envelope, encode_info, parse_channel, parse_info

_sequence = count()


@dataclass(frozen=True)
class Draft:
    mess: bytes  # the message with qmail's Received line, as qmail-queue stored it
    sender: str
    birth: float
    local: tuple[Recipient, ...] = ()
    remote: tuple[Recipient, ...] = ()
    retry: dict[str, float] = field(default_factory=dict)  # channel -> mtime of its file
    bounce: bytes | None = None
    preprocessed: bool = True  # False: only mess, intd and todo (not yet seen by qmail-send)
    uid: int = 0  # who injected it: the envelope's u record and the mess file's group
    gid: int = 0
    pid: int = 1


def _file(
    path: str | os.PathLike[str],
    data: bytes,
    mode: int,
    owner: tuple[int, int] | None,
    when: float,
    sync: bool,
) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, data)
        if sync:
            os.fsync(fd)
        if owner is not None:
            os.fchown(fd, *owner)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    os.utime(path, (when, when), follow_symlinks=False)


def write(layout: Layout, draft: Draft, owners: Owners, *, sync: bool = False) -> int:
    """Put ``draft`` into the queue; returns its number (the mess file's inode)."""
    root = os.geteuid() == 0
    pid_name = layout.root / "pid" / f"{os.getpid()}.{time.time_ns()}.{next(_sequence)}"
    _file(pid_name, draft.mess, 0o644, (owners.qmailq, draft.gid) if root else None, draft.birth, sync)
    msg_id = os.lstat(pid_name).st_ino
    os.link(pid_name, layout.path("mess", msg_id))
    os.unlink(pid_name)
    if not draft.preprocessed:
        addresses = [r.address for r in (*draft.local, *draft.remote)]
        envelope = encode_envelope(draft.uid, draft.pid, draft.sender, addresses)
        intd = layout.path("intd", msg_id)
        _file(intd, envelope, 0o644, (owners.qmailq, draft.gid) if root else None, draft.birth, sync)
        os.link(intd, layout.path("todo", msg_id))
        return msg_id
    send = (owners.qmails, owners.qmail) if root else None
    for channel, recipients in zip(CHANNELS, (draft.local, draft.remote), strict=True):
        if recipients:
            when = draft.retry.get(channel, draft.birth)
            _file(layout.path(channel, msg_id), encode_channel(recipients), 0o600, send, when, sync)
    if draft.bounce is not None:
        _file(layout.path("bounce", msg_id), draft.bounce, 0o600, send, draft.birth, sync)
    # The info file last: qmail-send only looks at a message once it has one.
    _file(layout.path("info", msg_id), encode_info(draft.sender), 0o600, send, draft.birth, sync)
    return msg_id


def draft_of(layout: Layout, msg_id: int) -> Draft:
    """A preprocessed message of an existing queue as a draft (to copy it into another queue)."""
    mess, mess_st = read_small(layout.path("mess", msg_id), limit=64 << 20)
    info, info_st = read_small(layout.path("info", msg_id))
    channels: dict[str, tuple[Recipient, ...]] = {}
    retry = {}
    for channel in CHANNELS:
        if lstat_regular(layout.path(channel, msg_id)) is not None:
            data, st = read_small(layout.path(channel, msg_id))
            channels[channel] = parse_channel(data)
            retry[channel] = st.st_mtime
    bounce = None
    if lstat_regular(layout.path("bounce", msg_id)) is not None:
        bounce = read_small(layout.path("bounce", msg_id))[0]
    return Draft(
        mess=mess,
        sender=parse_info(info),
        birth=info_st.st_mtime,
        local=channels.get("local", ()),
        remote=channels.get("remote", ()),
        retry=retry,
        bounce=bounce,
        gid=mess_st.st_gid,
    )
