"""Time the log tools on a big send log, as real processes joined by pipes.

    .venv/bin/python bench/logs_generate.py var/bench/send --size 1.1G   # once, ~1 min
    .venv/bin/python bench/logs_bench.py var/bench/send

Measures, in one run over the same files:

* ``qmail-last-x "5 minutes" | show-all`` - once with an empty index cache (cold: the tables of
  the rotated files are built), then ``--runs`` times warm. Target: <= 0.2 s warm.
* a full ``top-senders``: ``qmail-last-x "<everything>" | top-senders`` and ``top-senders FILES``.
  Target: >= 50 MB/s.
* ``grep -c delivery FILES`` as the yardstick (C reading the same bytes).

"now" is pinned just after the last line (NODEWORX_NOW) so "the last 5 minutes" has traffic.
Prints the figures as Markdown for bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def pipeline(commands: list[list[str]], env: dict[str, str]) -> tuple[float, bytes]:
    """Run commands joined by pipes; wall time from the first start to the last exit."""
    start = time.perf_counter()
    procs: list[subprocess.Popen[bytes]] = []
    stdin = None
    for i, command in enumerate(commands):
        last = i == len(commands) - 1
        proc = subprocess.Popen(
            command, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        if stdin is not None:
            stdin.close()  # only the next stage holds the read end
        stdin = proc.stdout if not last else None
        procs.append(proc)
    out, _ = procs[-1].communicate()
    for proc in procs[:-1]:
        proc.wait()
    return time.perf_counter() - start, out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("log_dir", type=Path, nargs="?", default=ROOT / "var" / "bench" / "send")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    log_dir = args.log_dir.resolve()
    files = [*sorted(str(p) for p in log_dir.glob("@*.s")), str(log_dir / "current")]
    total = sum(os.path.getsize(f) for f in files)

    sys.path.insert(0, str(ROOT))
    from mailserver.qmail.logs.files import LogDir
    from mailserver.qmail.logs.tai64n import to_unix

    log = LogDir(log_dir)
    first, last = to_unix(log.first_label() or b""), to_unix(log.last_label() or b"")
    cache = Path(tempfile.mkdtemp(prefix="nodeworx-logbench-"))
    env = dict(
        os.environ,
        NODEWORX_QMAIL_SEND_LOG=str(log_dir),
        NODEWORX_NOW=f"{last + 1:.3f}",
        NODEWORX_QMAIL_LOG_CACHE=str(cache),
        TZ="UTC",
    )
    whole = f"{int((last - first) // 86400) + 2} days"
    last_x = [str(BIN / "qmail-last-x"), "5 minutes"]
    try:
        cold, out = pipeline([last_x, [str(BIN / "show-all")]], env)
        warm = [pipeline([last_x, [str(BIN / "show-all")]], env)[0] for _ in range(args.runs)]
        rows = out.count(b"\n") - 1
        selected = len(pipeline([last_x], env)[1])
        grep_time, grep_out = pipeline([["grep", "-c", "delivery", *files]], env)
        top_pipe, _ = pipeline([[str(BIN / "qmail-last-x"), whole], [str(BIN / "top-senders")]], env)
        top_direct, _ = pipeline([[str(BIN / "top-senders"), *files]], env)
    finally:
        shutil.rmtree(cache, ignore_errors=True)

    mb = total / 1e6
    print(f"## Log analysis (measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)\n")
    print(
        f"Machine: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}."
    )
    print(
        f"Log: {log_dir.relative_to(ROOT) if log_dir.is_relative_to(ROOT) else log_dir}: {len(files)} files, "
        f"{mb:,.0f} MB, {(last - first) / 86400:.1f} days of traffic.\n"
    )
    print("| what | time | rate |\n|---|---|---|")
    print(
        f'| `qmail-last-x "5 minutes" \\| show-all`, warm (median of {args.runs}; best {min(warm):.3f} s) '
        f"| {statistics.median(warm):.3f} s | {rows} rows from {selected / 1e6:.1f} MB selected |"
    )
    rotated = len(files) - 1
    print(f"| same, cold index cache (builds the tables of {rotated} rotated files once) | {cold:.3f} s | |")
    top = f'`qmail-last-x "{whole}" \\| top-senders` (whole log)'
    print(f"| {top} | {top_pipe:.1f} s | {mb / top_pipe:.0f} MB/s |")
    print(f"| `top-senders FILES` (whole log) | {top_direct:.1f} s | {mb / top_direct:.0f} MB/s |")
    count = sum(int(line.rsplit(b":", 1)[-1]) for line in grep_out.split())
    yardstick = f"yardstick: `grep -c delivery FILES` ({count:,} lines)"
    print(f"| {yardstick} | {grep_time:.1f} s | {mb / grep_time:.0f} MB/s |")


if __name__ == "__main__":
    main()
