"""The log follower: builds the delivery index, then reads every new line of qmail-send's log into it.

Run by the reads worker group (logs_index_ops.py) as ``python -m mailserver.agent.log_follower``;
one at a time per index (the store's lock), as the agent's user. It reads ROOTS/var/log/qmail/send
and writes only the index directory. Every TICK seconds it looks whether ``current`` grew or was
rotated; the first build uses every core (NODEWORX_LOG_INDEX_WORKERS, default all) and writes its
progress to build.json in the index directory. It stops when its parent (the worker) goes away.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from types import FrameType

from mailserver.qmail.logs.deliveries.build import cpu_count
from mailserver.qmail.logs.deliveries.follow import Follower, Rewritten
from mailserver.qmail.logs.deliveries.store import Store

from .celeryapp import settings
from .logs_indexed import store_for

log = logging.getLogger("nodeworx.follower")
TICK = float(os.environ.get("NODEWORX_LOG_FOLLOW_SECONDS", "2"))
WAKE = "wake"  # a report that needs lines newer than the index creates it (logs_indexed.usable)
_stop = False


def _on_term(signum: int, frame: FrameType | None) -> None:
    global _stop
    _stop = True


def _progress(store: Store):  # type: ignore[no-untyped-def]
    started = time.time()

    def report(phase: str, done: int, total: int) -> None:
        data = {"phase": phase, "done": done, "total": total, "started": started}
        tmp = store.root / ".build.json"
        tmp.write_text(json.dumps(data))
        os.replace(tmp, store.root / "build.json")

    return report


def _die_with_parent() -> None:
    """Linux: SIGTERM when the worker that started us dies, even in the middle of a build."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the loop below still notices a new parent


def run() -> int:
    _die_with_parent()
    parent = os.getppid()
    log_dir = settings.roots.log_dir("send")
    store = store_for(log_dir)
    if store is None or not store.ready():
        log.warning("delivery index off or its directory unusable: not following %s", log_dir)
        return 0
    with store.writer(wait=False) as mine:
        if not mine:
            log.info("another follower keeps the index of %s", log_dir)
            return 0
        while not log_dir.is_dir():  # no log yet (qmail-send never ran): wait for one
            if _stop or os.getppid() != parent:
                return 0
            time.sleep(TICK)
        workers = int(os.environ.get("NODEWORX_LOG_INDEX_WORKERS", "0")) or cpu_count()
        follower = Follower(log_dir, store, workers=workers)
        try:
            follower.start(_progress(store))  # SIGTERM meanwhile: the default, stop at once
            signal.signal(signal.SIGTERM, _on_term)  # from now on: finish the tick, then stop
            (store.root / "build.json").unlink(missing_ok=True)
            wake = store.root / WAKE
            while not _stop and os.getppid() == parent:
                try:
                    follower.tick()
                except Rewritten as error:
                    log.warning("log follower: %s; building the index again", error)
                    follower.rebuild()
                except OSError as error:  # a file vanished mid-read: try again next tick
                    log.warning("log follower: %s", error)
                for _ in range(int(TICK * 10)):  # a report waiting for the newest lines wakes us
                    if _stop or wake.exists():
                        break
                    time.sleep(0.1)
                wake.unlink(missing_ok=True)
        finally:
            follower.close()
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    raise SystemExit(run())
