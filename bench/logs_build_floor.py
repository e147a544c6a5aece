"""How fast can the first build of the delivery index be on this machine? Its parts, and the alternatives.

    .venv/bin/python bench/logs_build_floor.py var/bench/send

Issue 10 asks for a first build at twice the single pass's rate, with both cores. On two cores that
means the build's CPU time must not exceed what the single pass spends alone. This measures, over
the same files, in one run:

* the single pass (``top-senders FILES``): wall and CPU;
* the build as the follower runs it, phase by phase: the join (build.join_files, two processes)
  and the load (load.write_segment: DuckDB turning the joiner's rows into Parquet);
* the joiner's cost per line (RowJoiner.feed over the first files, one process) against a loop
  that only dispatches on the line's kind: what any Python joiner pays at least;
* DuckDB as the joiner, its first steps only (splitting the lines into fields, keeping the
  fields of the lines a join needs, one window over the starts): if these alone exceed the
  budget, a join in SQL cannot meet it either;
* the same feed under PyPy (Debian's ``pypy3``), when it is installed.

Prints Markdown for bench/README.md.
"""

# ruff: noqa: S608, E501  (a bench: its own SQL and commands, its own Markdown lines)

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FEED_BYTES = 200_000_000  # the first files up to this size: enough for a steady per-line cost


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its children) of ``run()``."""
    wall, cpu = time.perf_counter(), _cpu()
    run()
    return time.perf_counter() - wall, _cpu() - cpu


def feed_cost(files: list[str]) -> dict[str, float]:
    """RowJoiner.feed and a bare dispatch loop over the first FEED_BYTES of ``files`` (runs under PyPy too)."""
    from mailserver.qmail.logs.deliveries.rows import RowJoiner

    data, size = [], 0
    for name in files:
        if size >= FEED_BYTES:
            break
        data.append(Path(name).read_bytes())
        size += len(data[-1])
    lines = [d.split(b"\n")[:-1] for d in data]
    joiner = RowJoiner()

    def feed() -> None:
        for number, chunk in enumerate(lines):
            joiner.file_no = number
            joiner.feed(chunk)
            joiner.take()

    def dispatch() -> None:
        for chunk in lines:
            for line in chunk:
                if line and line[0] == 64 and not (line[26] == 115 and line[29] != 114):
                    continue

    count = sum(len(c) for c in lines)
    return {"mb": size / 1e6, "lines": count, "feed": timed(feed)[1], "dispatch": timed(dispatch)[1]}


def duckdb_steps(files: list[str]) -> dict[str, tuple[float, float]]:
    import duckdb

    con = duckdb.connect(config={"threads": 2})
    columns = "{" + ", ".join(f"'f{i}': 'VARCHAR'" for i in range(10)) + "}"
    source = (
        f"read_csv({files!r}, delim=' ', quote='', escape='', header=false, auto_detect=false, "
        f"columns={columns}, strict_mode=false, null_padding=true, max_line_size=10000000)"
    )
    steps = {
        "split every line into fields (a count)": f"SELECT count(*), count(f9) FROM {source}",
        "keep the fields of the lines a join needs (a table)": (
            f"CREATE TEMP TABLE t AS SELECT f0, f1, f2, f3, f4, f5, f7, f8 FROM {source} WHERE f1 <> 'status:'"
        ),
        "one window over the starts (each message's attempts in order)": (
            "CREATE TEMP TABLE w AS SELECT *, row_number() OVER (PARTITION BY f5 ORDER BY f0) FROM t "
            "WHERE f1 = 'starting'"
        ),
    }

    def run(sql: str) -> None:
        con.execute(sql).fetchall()

    return {name: timed(partial(run, sql)) for name, sql in steps.items()}


def build_phases(log_dir: Path) -> dict[str, tuple[float, float]]:
    from mailserver.qmail.logs.deliveries import load
    from mailserver.qmail.logs.deliveries.build import Seams, join_files
    from mailserver.qmail.logs.deliveries.rows import RowJoiner
    from mailserver.qmail.logs.files import LogDir

    log = LogDir(log_dir)
    tmp = Path(tempfile.mkdtemp(prefix="build-floor-"))
    out: list[tuple[RowJoiner, dict[str, list[Path]], Seams]] = []
    try:
        joined = timed(lambda: out.append(join_files(log, list(range(len(log.files))), tmp, 2)))
        _, files, seams = out[0]
        con = load.connect()
        loaded = timed(lambda: load.write_segment(con, files, tmp / "segment", seams))
    finally:
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return {"join (2 processes)": joined, "load (DuckDB, 2 threads)": loaded}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("log_dir", type=Path, nargs="?", default=ROOT / "var" / "bench" / "send")
    parser.add_argument("--feed-only", action="store_true", help=argparse.SUPPRESS)  # the PyPy child
    args = parser.parse_args()
    files = [*sorted(str(p) for p in args.log_dir.glob("@*.s")), str(args.log_dir / "current")]
    if args.feed_only:
        print(json.dumps(feed_cost(files)))
        return
    mb = sum(os.path.getsize(f) for f in files) / 1e6
    env = dict(os.environ, TZ="UTC")
    single = timed(
        lambda: subprocess.run(
            [str(Path(sys.executable).parent / "top-senders"), *files],
            env=env,
            stdout=subprocess.DEVNULL,
            check=True,
        )
    )
    phases = build_phases(args.log_dir)
    build_wall = sum(w for w, _ in phases.values())
    build_cpu = sum(c for _, c in phases.values())
    print(f"{mb:,.0f} MB in {len(files)} files, load average {os.getloadavg()[0]:.1f}\n")
    print("| what | wall | CPU |\n|---|---|---|")
    print(f"| the single pass, `top-senders FILES` | {single[0]:.1f} s | {single[1]:.1f} s |")
    print(
        f"| 2× the single pass: the build's budget | {single[0] / 2:.1f} s | {single[1]:.1f} s on two cores |"
    )
    for name, (wall, cpu) in phases.items():
        print(f"| build: {name} | {wall:.1f} s | {cpu:.1f} s |")
    print(
        f"| build: both phases | {build_wall:.1f} s ({single[0] / build_wall:.2f}× the single pass) | {build_cpu:.1f} s |"
    )
    for name, (wall, cpu) in duckdb_steps(files).items():
        print(f"| DuckDB as the joiner: {name} | {wall:.1f} s | {cpu:.1f} s |")
    feed = feed_cost(files)
    rows = [("CPython", feed)]
    pypy = shutil.which("pypy3")
    if pypy:
        child = subprocess.run(
            [pypy, __file__, str(args.log_dir), "--feed-only"],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        rows.append(("PyPy", json.loads(child.stdout)))
    print(
        f"\nThe joiner per line, over the first {feed['mb']:.0f} MB ({feed['lines']:,} lines), one process, CPU:\n"
    )
    print("| interpreter | RowJoiner.feed | per line | dispatch only | per line |\n|---|---|---|---|---|")
    for name, f in rows:
        print(
            f"| {name} | {f['feed']:.2f} s | {f['feed'] / f['lines'] * 1e6:.2f} µs | {f['dispatch']:.2f} s "
            f"| {f['dispatch'] / f['lines'] * 1e6:.2f} µs |"
        )
    if not pypy:
        print("\n(PyPy not installed: `apt-get install pypy3` adds its row.)")


if __name__ == "__main__":
    main()
