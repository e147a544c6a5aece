"""Time the delivery index on a big send log, with grep and the streaming tools in the same run.

    .venv/bin/python bench/logs_generate.py var/bench/send --size 1.1G   # once
    .venv/bin/python bench/logs_index_bench.py var/bench/send

Measures, over the same files:

* yardsticks: ``grep -c delivery FILES`` and today's single pass, ``top-senders FILES``;
* the first build of the index with --workers processes (wall and CPU), into a copy of the log
  directory (rotated files hard-linked, ``current`` copied) that the follow part then appends to;
* every report of the Mail Logs page from the index (as agent.logs.report computes it: the
  table or rows, and the chart) over "Last week" (the whole log), "Last day" and "Last 5
  minutes", "now" pinned just after the last line; the slowest must be <= 1 s;
* the index's size on disk against the log's;
* the same core queries in SQLite (stdlib), loaded with the same rows, to compare the stores;
* following: a follower process (as the reads workers run it, every 2 s) while lines are appended
  to ``current`` at the log's own rate (re-stamped from its first file): how long until a
  written line is in the index, and the follower's CPU.

Prints Markdown for bench/README.md.
"""

# ruff: noqa: S608, E501, UP031  (a bench: its own SQL, its own Markdown lines)

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

from bench.logs_bench import cpu_model, pipeline  # noqa: E402
from mailserver.qmail.logs.deliveries.follow import Follower  # noqa: E402
from mailserver.qmail.logs.deliveries.query import Period  # noqa: E402
from mailserver.qmail.logs.deliveries.ranked import ranked  # noqa: E402
from mailserver.qmail.logs.deliveries.reports import Report  # noqa: E402
from mailserver.qmail.logs.deliveries.store import Store  # noqa: E402
from mailserver.qmail.logs.files import LogDir  # noqa: E402
from mailserver.qmail.logs.reports import RESULTS, TOP_REPORTS  # noqa: E402
from mailserver.qmail.logs.series import Series  # noqa: E402
from mailserver.qmail.logs.tai64n import encode, to_unix  # noqa: E402

LOOKBACK = 8 * 86400.0


def cpu_seconds() -> float:
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def copy_log(source: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for path in sorted(source.glob("@*.s")):
        os.link(path, target / path.name)
    shutil.copyfile(source / "current", target / "current")


def report_once(
    store: Store, start: float, end: float, name: str, channel: str | None
) -> tuple[float, float]:
    """One report as the agent computes it from the index (table or rows, and the chart):
    (wall seconds, CPU seconds of this process, DuckDB's threads included)."""
    began, cpu = time.perf_counter(), time.process_time()
    manifest = store.manifest()
    assert manifest is not None
    period = Period(store.root, manifest, start, end, LOOKBACK)
    report = Report(period, [], channel, None)
    series = Series(start, end)
    if name.startswith("show-"):
        wanted = RESULTS if name == "show-all" else (name[5:].rstrip("s"),)
        report.show(wanted, 500)
        report.show_series(series)
    elif name == "deferrals-by-cause":
        report.causes().table().sort()
        report.top_series(series)
    else:
        ranked(report, name, "recipient", None, False, 500)  # the rows shown, sorted in the database
        report.top_series(series)
    period.close()
    return time.perf_counter() - began, time.process_time() - cpu


def sqlite_compare(store: Store, start: float, end: float) -> dict[str, float]:
    """Load the index's attempts and messages into SQLite and time the same core aggregations."""
    manifest = store.manifest()
    assert manifest is not None
    period = Period(store.root, manifest, 0, 2**39, 0)
    path = Path(tempfile.mkdtemp(prefix="nodeworx-sqlite-")) / "index.sqlite3"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE attempts (mkey INTEGER, msg INTEGER, channel TEXT, rcpt TEXT, started INTEGER, "
        "result TEXT, text TEXT, finished INTEGER, seq INTEGER, sender TEXT, size INTEGER, info INTEGER, "
        "info_file INTEGER)"
    )
    db.execute(
        "CREATE TABLE messages (mkey INTEGER, sender TEXT, size INTEGER, arrived INTEGER, info INTEGER)"
    )
    began = time.perf_counter()
    cursor = period.con.execute(
        "SELECT mkey, msg, channel, rcpt, started, result, text, finished, seq, sender, size, info, info_file "
        "FROM attempts"
    )
    while batch := cursor.fetchmany(100_000):
        db.executemany("INSERT INTO attempts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
    cursor = period.con.execute("SELECT mkey, sender, size, arrived, info FROM messages")
    while batch := cursor.fetchmany(100_000):
        db.executemany("INSERT INTO messages VALUES (?,?,?,?,?)", batch)
    db.execute("CREATE INDEX attempts_finished ON attempts (finished)")
    db.execute("CREATE INDEX messages_arrived ON messages (arrived)")
    db.commit()
    load = time.perf_counter() - began
    S, E = int(start * 1e9), int(end * 1e9)
    queries = {
        "top-senders core, whole log": (
            f"SELECT lower(sender), result, count(*) FROM attempts WHERE finished >= {S} AND finished < {E} "
            "GROUP BY 1, 2"
        ),
        "top-recipients core, whole log": (
            f"SELECT lower(rcpt), count(DISTINCT mkey), count(*) FROM attempts WHERE finished >= {S} "
            f"AND finished < {E} GROUP BY 1"
        ),
        "arrivals per sender, whole log": (
            f"SELECT lower(sender), count(*), sum(size) FROM messages WHERE arrived >= {S} AND arrived < {E} "
            "GROUP BY 1"
        ),
    }
    out = {"load (rows from the index, indexes built)": load, "size MB": path.stat().st_size / 1e6}
    for label, sql in queries.items():
        began = time.perf_counter()
        db.execute(sql).fetchall()
        out[f"SQLite: {label}"] = time.perf_counter() - began
        began = time.perf_counter()
        period.con.execute(sql.replace("count(DISTINCT mkey)", "count(DISTINCT mkey)")).fetchall()
        out[f"DuckDB: {label}"] = time.perf_counter() - began
    period.close()
    db.close()
    shutil.rmtree(path.parent, ignore_errors=True)
    return out


def follow(store: Store, live: Path, source: Path, seconds: float) -> dict[str, float]:
    """Append re-stamped lines at the log's own pace; measure the follower's delay and CPU."""
    script = (
        "import sys, time, os; sys.path.insert(0, %r)\n"
        "from pathlib import Path\n"
        "from mailserver.qmail.logs.deliveries.follow import Follower\n"
        "from mailserver.qmail.logs.deliveries.store import Store\n"
        "f = Follower(Path(%r), Store(Path(%r)), workers=2); f.start()\n"
        "while True:\n    f.tick(); time.sleep(2)\n"
    ) % (str(ROOT), str(live), str(store.root))
    proc = subprocess.Popen([sys.executable, "-c", script])
    time.sleep(3)  # loaded its state
    first_file = sorted(source.glob("@*.s"))[0]
    lines = first_file.read_bytes().splitlines(keepends=True)
    base = to_unix(lines[0][1:25])
    log = LogDir(live)
    shift = to_unix(log.last_label() or b"") + 1 - base
    log.close()
    stat_path = Path(f"/proc/{proc.pid}/stat")
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        fields = stat_path.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    delays: list[float] = []
    pending: list[tuple[bytes, float]] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            manifest = store.manifest()
            newest = (manifest.newest if manifest else "").encode()
            now = time.monotonic()
            while pending and pending[0][0] <= newest:
                delays.append(now - pending.pop(0)[1])
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    cpu_before, began = cpu(), time.monotonic()
    written = 0
    with open(live / "current", "ab") as handle:
        for line in lines:
            at = to_unix(line[1:25]) - base
            if at > seconds:
                break
            wait = began + at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            label = encode(to_unix(line[1:25]) + shift)
            handle.write(b"@" + label + line[25:])
            handle.flush()
            written += 1
            if written % 25 == 0:
                pending.append((label, time.monotonic()))
    elapsed = time.monotonic() - began
    used = cpu() - cpu_before
    time.sleep(5)
    stop.set()
    watcher.join()
    proc.terminate()
    proc.wait(10)
    delays.sort()
    return {
        "lines": written,
        "seconds": elapsed,
        "cpu_percent": 100.0 * used / elapsed,
        "delay_p50": statistics.median(delays) if delays else float("nan"),
        "delay_max": delays[-1] if delays else float("nan"),
        "samples": len(delays),
        "unseen": len(pending),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("log_dir", type=Path, nargs="?", default=ROOT / "var" / "bench" / "send")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None, help="where the copy and the index go")
    parser.add_argument("--follow-seconds", type=float, default=60.0)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-follow", action="store_true")
    args = parser.parse_args()
    source = args.log_dir.resolve()
    work = (args.work or ROOT / "var" / "bench" / f"index-{source.name}").resolve()
    live, index = work / "send", work / "index"
    copy_log(source, live)
    shutil.rmtree(index, ignore_errors=True)
    index.mkdir(mode=0o700, parents=True)
    files = [*sorted(str(p) for p in live.glob("@*.s")), str(live / "current")]
    total = sum(os.path.getsize(f) for f in files)
    mb = total / 1e6
    env = dict(os.environ, TZ="UTC")
    grep_time, grep_out = pipeline([["grep", "-c", "delivery", *files]], env)
    single, _ = pipeline([[str(BIN / "top-senders"), *files]], env)

    store = Store(index)
    cpu0, began = cpu_seconds(), time.perf_counter()
    follower = Follower(live, store, workers=args.workers)
    follower.start()
    follower.close()
    build_wall, build_cpu = time.perf_counter() - began, cpu_seconds() - cpu0
    manifest = store.manifest()
    assert manifest is not None
    size = store.size(manifest)

    log = LogDir(live)
    first, last = to_unix(log.first_label() or b""), to_unix(log.last_label() or b"")
    log.close()
    now = last + 1
    periods = {"Last week": now - 7 * 86400, "Last day": now - 86400, "Last 5 minutes": now - 300}
    names = ["show-all", "show-failures", *TOP_REPORTS, "deferrals-by-cause"]
    timings: dict[tuple[str, str], tuple[float, float]] = {}
    for label, start in periods.items():
        for name in [*names, "top-senders-remote"]:
            report = name.removesuffix("-remote")
            channel = "remote" if name.endswith("-remote") else None
            report_once(store, start, now, report, channel)  # warm the page cache once
            runs = sorted(report_once(store, start, now, report, channel) for _ in range(3))
            timings[(label, name)] = runs[1]

    print(f"## Delivery index (measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)\n")
    print(
        f"Machine: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}. Log: {len(files)} files, {mb:,.0f} MB, "
        f"{(last - first) / 86400:.1f} days; load average at the end {os.getloadavg()[0]:.1f}.\n"
    )
    count = sum(int(line.rsplit(b":", 1)[-1]) for line in grep_out.split())
    print("| what | time | rate |\n|---|---|---|")
    print(
        f"| yardstick: `grep -c delivery FILES` ({count:,} lines) | {grep_time:.1f} s | {mb / grep_time:,.0f} MB/s |"
    )
    print(f"| today's single pass: `top-senders FILES` | {single:.1f} s | {mb / single:.0f} MB/s |")
    print(
        f"| first build of the index, {args.workers} processes | {build_wall:.1f} s "
        f"({build_cpu:.1f} s CPU) | {mb / build_wall:.0f} MB/s ({mb / build_wall / (mb / single):.2f}× the single pass) |"
    )
    rows = sum(s["rows"].get("attempts", 0) for s in manifest.segments)
    print(
        f"| index size on disk ({rows:,} attempt rows) | {size / 1e6:,.0f} MB | {100 * size / total:.1f} % of the log |"
    )
    print(
        "\nReports from the index, wall (CPU) time, median of 3 after one warm-up, each with a new "
        "DuckDB connection, as agent.logs.report computes them (rows or the first 500 rows, and the chart):\n"
    )
    print("| report | " + " | ".join(periods) + " |\n|---|" + "---|" * len(periods))
    for name in [*names, "top-senders-remote"]:
        cells = " | ".join(
            f"{1000 * timings[(label, name)][0]:.0f} ms ({1000 * timings[(label, name)][1]:.0f})"
            for label in periods
        )
        print(f"| {name} | {cells} |")
    slowest = max(wall for wall, _ in timings.values())
    print(
        f"\nSlowest report: {1000 * slowest:.0f} ms (target ≤ 1 s: {'met' if slowest <= 1 else 'NOT met'})."
    )
    if not args.skip_sqlite:
        print("\nStore comparison (the same rows; whole log):\n\n| what | time |\n|---|---|")
        for label, value in sqlite_compare(store, periods["Last week"], now).items():
            print(f"| {label} | {value:.2f} {'MB' if 'MB' in label else 's'} |")
    if not args.skip_follow:
        result = follow(store, live, source, args.follow_seconds)
        print(
            f"\nFollowing: {result['lines']:,} lines appended over {result['seconds']:.0f} s at the log's own "
            f"pace; a line was in the index after {result['delay_p50']:.1f} s (median of "
            f"{result['samples']}), {result['delay_max']:.1f} s at most; {result['unseen']} never seen; "
            f"follower CPU {result['cpu_percent']:.1f} % of one core."
        )


if __name__ == "__main__":
    main()
