"""qmail's own two views of the queue, reproduced byte for byte: qmail-qstat and qmail-qread.

qmail-qstat prints two counts; qmail-qread walks info/ and prints, per message, a header line
(``25 Nov 2026 13:34:51 GMT  #1466941  4343  <dave@mail.example.test> `` and ``bouncing`` when a
bounce is collecting) and one line per recipient (``\\tremote\\taddress``, with ``  done`` in front
once delivered), local recipients first. Characters outside printable ASCII print as ``_``, as
qmail-qread prints them. Messages not yet preprocessed are left out, as qmail-qread leaves them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from .index import Counts
from .message import QueuedMessage

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def qstat(counts: Counts) -> str:
    return (
        f"messages in queue: {counts.messages}\n"
        f"messages in queue but not yet preprocessed: {counts.unprocessed}\n"
    )


def _safe(value: str) -> str:
    return "".join(chr(b) if 32 <= b <= 126 else "_" for b in value.encode("utf-8", "replace"))


def date(epoch: float) -> str:
    """qmail's date822fmt in GMT, as qmail-qread prints it: ``5 Nov 2026 09:04:05 GMT``."""
    t = time.gmtime(int(epoch))
    return f"{t.tm_mday} {_MONTHS[t.tm_mon - 1]} {t.tm_year} {t.tm_hour:02}:{t.tm_min:02}:{t.tm_sec:02} GMT"


def qread_block(message: QueuedMessage) -> str:
    head = f"{date(message.arrived)}  #{message.id}  {message.size or 0}  <{message.sender}> "
    if message.bouncing:
        head += " bouncing"
    lines = [_safe(head)]
    for r in message.recipients:
        lines.append(("  done" if r.done else "") + f"\t{r.channel}\t" + _safe(r.address))
    return "".join(line + "\n" for line in lines)


def qread(messages: Iterable[QueuedMessage]) -> str:
    return "".join(qread_block(m) for m in messages if m.preprocessed)
