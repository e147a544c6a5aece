"""Time the queue library at 100,000 messages, beside qmail's own way of counting.

    .venv/bin/python bench/queue_generate.py var/bench/qmail/queue --messages 100000   # once, ~3 min
    .venv/bin/python bench/queue_bench.py var/bench/qmail/queue

Measures, in one run over the same queue (its directories are dated back a minute first, as a
queue that nothing changed for a minute; each figure is the median of ``--runs``):

* counts: qmail-qstat's own method (``find queue/mess/* -type f | wc -l`` and the same for
  todo, the script qmail-qstat is) and that method extended to local/ and remote/ (the panel's
  Local and Remote counts), against the index cold (a new index, as after the agent starts) and
  with the queue unchanged (the index only stats its 95 directories). Targets: cold no slower
  than find; unchanged under 1/20 of find.
* the first page of the list (the 50 newest, read fresh from their files), cold and warm.
  Target: <= 300 ms.
* a search by sender across every message (``alice@example.test``), the first time (the index
  reads every info file) and repeated on the unchanged queue. Targets: <= 3 s, <= 300 ms.
* deleting the 10,000 messages from spam.example.net (a filter) with qmail-send running under
  a real svscan: a stand-in that, like qmail-send, holds lock/sendmutex. The figure that matters
  is how long qmail-send is down: from svc -d until supervise reports it up again. Target: <= 15 s.
  This changes the queue: run queue_generate.py again before another run.

``--drop-caches`` (root) also times the cold counts with the kernel's page cache emptied first.
Prints the figures as Markdown for bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailserver.qmail.paths import Roots  # noqa: E402
from mailserver.qmail.queue import changes, index, listing, request  # noqa: E402
from mailserver.qmail.queue.layout import KINDS, Layout, discover  # noqa: E402
from tests.support.recording_send import Recorder, install_programs  # noqa: E402
from tests.support.svscan import running_svscan  # noqa: E402

NOW = time.time()


def timed(
    action: Callable[[], object], runs: int, before: Callable[[], None] | None = None
) -> tuple[float, object]:
    """Median seconds of ``runs`` calls of ``action`` (``before`` runs untimed before each)."""
    times, result = [], None
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def qstat_find(queue: Path, parts: tuple[str, ...]) -> list[int]:
    """qmail-qstat's method: one ``find DIR -type f | wc -l`` per part, through sh."""
    counts = []
    for part in parts:
        where = f"{queue}/{part}/*" if part != "todo" else f"{queue}/todo"
        out = subprocess.run(
            ["/bin/sh", "-c", f"find {where} -type f | wc -l"], capture_output=True, text=True
        )
        counts.append(int(out.stdout))
    return counts


def settle(layout: Layout) -> None:
    old = time.time() - 60
    for kind in KINDS:
        for directory in layout.directories(kind):
            os.utime(directory, (old, old))


def drop_caches() -> None:
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def row(label: str, seconds: float | str, note: object = "") -> str:
    return f"| {label} | {seconds if isinstance(seconds, str) else ms(seconds)} | {note} |"


HEAD = ["| | time | |", "|---|---:|---|"]


def counts_section(layout: Layout, runs: int) -> list[str]:
    queue = layout.root
    fresh = lambda: index.forget(queue)  # noqa: E731
    find_qstat, found = timed(lambda: qstat_find(queue, ("mess", "todo")), runs)
    find_all, _ = timed(lambda: qstat_find(queue, ("mess", "todo", "local", "remote")), runs)
    cold, counts = timed(lambda: index.index_for(layout).counts(), runs, before=fresh)
    index.index_for(layout).counts()
    warm, again = timed(lambda: index.index_for(layout).counts(), max(runs, 20))
    assert counts == again and [counts.messages, counts.unprocessed] == found, (counts, found)  # type: ignore[union-attr]
    rows = [
        *HEAD,
        row(
            "`find mess/* -type f \\| wc -l` and todo (qmail-qstat)",
            find_qstat,
            f"{found[0]} messages, {found[1]} todo",
        ),
        row("the same `find` over mess, todo, local and remote", find_all, "the four figures of the page"),
        row("index, cold (a new index lists what it counts)", cold, f"{cold / find_all:.2f}× the four finds"),
        row(
            "index, queue unchanged (95 directories stat'ed)",
            warm,
            f"1/{find_qstat / warm:.0f} of qmail-qstat's find",
        ),
    ]
    return rows


def disk_cold_section(layout: Layout) -> list[str]:
    """The cold counts again with the kernel's page cache emptied first; then everything is read back."""
    queue = layout.root
    find_cold, _ = timed(
        lambda: qstat_find(queue, ("mess", "todo", "local", "remote")), 1, before=drop_caches
    )
    index_cold, _ = timed(
        lambda: index.index_for(layout).counts(), 1, before=lambda: (index.forget(queue), drop_caches())
    )
    subprocess.run(["/bin/sh", "-c", f"find {queue} -type f -exec cat {{}} + > /dev/null"], check=True)
    return [
        *HEAD,
        row("page cache dropped: the four finds / the index, cold", f"{ms(find_cold)} / {ms(index_cold)}"),
    ]


def list_section(layout: Layout, runs: int) -> list[str]:
    fresh = lambda: index.forget(layout.root)  # noqa: E731
    page = lambda: listing.page(layout, listing.Filters(), now=NOW, lifetime=604800, limit=50)  # noqa: E731
    cold, first = timed(page, 1, before=fresh)
    warm, _ = timed(page, runs)
    wanted = request.filters({"sender": "alice@example.test"})
    search = lambda: listing.page(layout, wanted, now=NOW, lifetime=604800, limit=50)  # noqa: E731
    search_cold, found = timed(search, 1, before=fresh)
    search_warm, _ = timed(search, runs)
    total, matches = first.total, found.total  # type: ignore[union-attr]
    return [
        *HEAD,
        row("first page (50 newest), cold index", cold, f"of {total} messages"),
        row("first page (50 newest), warm", warm, "target ≤ 300 ms"),
        row(
            "search by sender, first time (cold index)",
            search_cold,
            f"{matches} from alice@example.test; ≤ 3 s",
        ),
        row("search by sender, repeated, queue unchanged", search_warm, "target ≤ 300 ms"),
    ]


def delete_section(layout: Layout) -> list[str]:
    """Delete the spam senders' messages with a supervised qmail-send stand-in running."""
    with tempfile.TemporaryDirectory() as scratch:
        service = Path(scratch) / "service"
        roots = Roots(qmail=layout.root.parent, service=service, bin=Path("/usr/bin"))
        (roots.qmail / "bin").mkdir(exist_ok=True)
        program = install_programs(roots, Path(scratch) / "signals.log")
        (service / "qmail-send").mkdir(parents=True)
        run = service / "qmail-send" / "run"
        run.write_text(f"#!/bin/sh\nexec {program}\n")
        run.chmod(0o755)
        recorder = Recorder(Path(scratch) / "signals.log")
        with running_svscan(service):
            recorder.wait_for(1)
            wanted = request.delete_request({"filters": {"sender": "@spam.example.net"}})
            started = time.perf_counter()
            outcome = changes.delete(layout, roots, wanted, now=NOW, wait=30.0)
            total = time.perf_counter() - started
            recorder.wait_for(2)
        for name in ("qmail-start", "qmail-send"):
            (roots.qmail / "bin" / name).unlink(missing_ok=True)
    assert outcome.stopped is not None and outcome.stopped.down_seconds is not None
    deleted = f"{len(outcome.changed)} messages, {outcome.files} files; target ≤ 15 s"
    return [
        *HEAD,
        row("qmail-send down (svc -d until up again)", outcome.stopped.down_seconds, deleted),
        row("the whole operation (choose, stop, choose again, delete, start)", total),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("queue", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--drop-caches", action="store_true")
    parser.add_argument("--no-delete", action="store_true", help="leave the queue as it is")
    args = parser.parse_args(argv)
    layout = discover(args.queue.resolve())
    os.sync()  # a queue just generated is still being written back: let that not slow the figures
    settle(layout)
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    print(f"Run {when} on {platform.node()} ({os.cpu_count()} CPUs), Python {platform.python_version()}.\n")
    sections = [counts_section(layout, args.runs), list_section(layout, args.runs)]
    if args.drop_caches:
        sections.append(disk_cold_section(layout))
    for section in sections:
        print("\n".join(section) + "\n")
    if not args.no_delete:
        print("\n".join(delete_section(layout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
