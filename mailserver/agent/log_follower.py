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
import sys
import time
from pathlib import Path
from types import FrameType
from typing import NoReturn

from mailserver.qmail.logs.deliveries.build import cpu_count
from mailserver.qmail.logs.deliveries.follow import Follower, Rewritten
from mailserver.qmail.logs.deliveries.store import Store
from mailserver.qmail.logs.files import LogDir

from .celeryapp import settings
from .logs_indexed import store_for

log = logging.getLogger("nodeworx.follower")
TICK = float(os.environ.get("NODEWORX_LOG_FOLLOW_SECONDS", "2"))
WAKE = "wake"  # a report that needs lines newer than the index creates it (logs_indexed.usable)
# ... and this one when the index holds lines newer than the log's last: newer files were removed
# or replaced by hand, which reading on from where the follower stopped cannot notice.
REBUILD = "rebuild"
ANEW = "build-anew"  # left by a follower that exec'd itself to build the index again
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


def _ahead_of_the_log(store: Store, log_dir: Path) -> bool:
    """Asked by a report (the REBUILD file): is the index's newest line past the log's last?"""
    request = store.root / REBUILD
    if not request.exists():
        return False
    request.unlink(missing_ok=True)
    manifest = store.manifest()
    log = LogDir(log_dir)
    try:
        last = log.last_label()
    finally:
        log.close()
    return bool(manifest and last and manifest.newest > last.decode())


def _build_anew(store: Store, follower: Follower) -> NoReturn:
    """Build the index again in a fresh process image (same pid, same parent).

    The build forks its readers, and this process has run DuckDB and Arrow, whose thread pools
    outlive their connections: a child forked while one of their threads holds a lock waits for
    it forever (seen: the follower stuck in wait(), its child on a futex). exec leaves no thread.
    """
    (store.root / ANEW).touch()
    follower.close()
    logging.shutdown()
    os.execv(sys.executable, [sys.executable, "-m", "mailserver.agent.log_follower"])  # noqa: S606 (no shell: our interpreter, our module)


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
            anew = store.root / ANEW
            if anew.exists():  # asked for by the process this one replaced (below)
                follower.build(_progress(store), replacing=store.manifest())
                anew.unlink()
            else:
                follower.start(_progress(store))  # SIGTERM meanwhile: the default, stop at once
            signal.signal(signal.SIGTERM, _on_term)  # from now on: finish the tick, then stop
            (store.root / "build.json").unlink(missing_ok=True)
            wake = store.root / WAKE
            while not _stop and os.getppid() == parent:
                try:
                    if _ahead_of_the_log(store, log_dir):
                        raise Rewritten(f"the index holds lines newer than {log_dir}'s last")
                    follower.tick()
                except Rewritten as error:
                    log.warning("log follower: %s; building the index again", error)
                    _build_anew(store, follower)
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
