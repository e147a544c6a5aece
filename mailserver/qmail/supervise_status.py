"""The low-level half of daemontools: supervise's 18-byte status file and its ``ok`` fifo.

Everything here works on a service *directory* that the caller has already
resolved through :class:`~mailserver.qmail.paths.Roots`; :mod:`.services` is the
name-based API the rest of the project uses.

Format (daemontools 0.76 supervise.c ``announce()``, svstat.c)::

    [0:8]   TAI64 label of the last start/stop, big-endian (2**62 + 10 + unix seconds)
    [8:12]  nanoseconds, big-endian
    [12:16] pid of the child, LITTLE-endian (0 = down)
    [16]    1 when paused (svc -p), else 0
    [17]    b"u" want up, b"d" want down, 0 = neither (svc -o)

supervise writes ``status`` (through ``status.new`` + rename) before it creates
``supervise/ok``, so once ``ok`` has a reader the status file is complete.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from .errors import QmailError, UnreadableFile
from .serverfile import read_regular

STATUS_SIZE = 18
# TAI64 labels are 2**62 + TAI seconds; libtai's tai_now() adds the 10 s that
# separated TAI and UTC in 1970, so label - TAI64_UNIX_OFFSET is plain time().
TAI64_UNIX_OFFSET = 4611686018427387914

Want = Literal["up", "down"]
_WANT: dict[int, Want | None] = {ord("u"): "up", ord("d"): "down", 0: None}


@dataclass(frozen=True, slots=True)
class RawStatus:
    """What supervise itself recorded; knows nothing of the ``down`` file."""

    pid: int | None  # None when the service is down
    seconds: int  # since the last start/stop, as svstat counts them
    since: datetime  # aware (UTC) time of the last start/stop
    paused: bool
    want: Want | None


def decode_status(raw: bytes, now: float) -> RawStatus:
    """Decode ``supervise/status`` the way svstat does, relative to ``now`` (unix time).

    Raises :class:`QmailError` for anything that is not the 18-byte format.
    """
    if len(raw) != STATUS_SIZE:
        raise QmailError(f"supervise/status has {len(raw)} bytes, expected {STATUS_SIZE}")
    label, nanoseconds = struct.unpack(">QL", raw[:12])
    (pid,) = struct.unpack("<L", raw[12:16])
    paused, want_byte = raw[16], raw[17]
    if want_byte not in _WANT:
        raise QmailError(f"supervise/status has an unknown 'want' byte {want_byte:#04x}")
    started = label - TAI64_UNIX_OFFSET
    # svstat: a start time in the future (clock stepped back) counts as "now".
    seconds = max(0, int(now) - started)
    since = datetime.fromtimestamp(started + nanoseconds / 1e9, tz=UTC)
    return RawStatus(
        pid=pid or None, seconds=seconds, since=since, paused=bool(paused), want=_WANT[want_byte]
    )


def encode_status(
    started: float, pid: int | None = None, *, paused: bool = False, want: Want | None = "up"
) -> bytes:
    """The inverse of :func:`decode_status` (used by tests and fixtures)."""
    whole = int(started)
    nanoseconds = round((started - whole) * 1e9) % 1_000_000_000
    want_byte = {"up": b"u", "down": b"d", None: b"\0"}[want]
    return (
        struct.pack(">QL", whole + TAI64_UNIX_OFFSET, nanoseconds)
        + struct.pack("<L", pid or 0)
        + bytes([int(paused)])
        + want_byte
    )


def supervise_running(directory: Path) -> bool:
    """Whether a supervise process serves ``directory`` (svstat's and svok's test).

    Opening the ``ok`` fifo for writing without blocking succeeds only while
    supervise holds its read end; ENXIO means nobody does, ENOENT that supervise
    never ran here (svscan has not picked the directory up yet).
    """
    ok = directory / "supervise" / "ok"
    try:
        # Opening a regular file or a device for writing would succeed (and could have effects).
        if not stat.S_ISFIFO(os.lstat(ok).st_mode):
            raise QmailError(f"{ok} is not a fifo; supervise would never make it anything else.")
        fd = os.open(ok, os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno in (errno.ENXIO, errno.ENOENT, errno.ENOTDIR):
            return False
        raise QmailError(f"cannot test {ok}: {exc.strerror}") from exc
    os.close(fd)
    return True


def read_raw_status(directory: Path, now: float) -> RawStatus:
    """Read and decode ``directory/supervise/status`` (call after :func:`supervise_running`)."""
    try:
        raw = read_regular(directory / "supervise" / "status", limit=STATUS_SIZE)[0]
    except OSError as exc:
        raise QmailError(f"cannot read {directory}/supervise/status: {exc.strerror}") from exc
    except UnreadableFile as exc:  # a link, a fifo, or more than the 18 bytes
        raise QmailError(f"cannot read supervise/status: {exc}") from None
    return decode_status(raw, now)
