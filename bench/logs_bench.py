"""Time the log tools on a big send log, as real processes joined by pipes.

    .venv/bin/python bench/logs_generate.py var/bench/send --size 1.1G   # once, ~1 min
    .venv/bin/python bench/logs_bench.py var/bench/send

Measures, in one run over the same files:

* ``qmail-last-x "5 minutes" | show-all`` - once with an empty index cache (cold: the tables of
  the rotated files are built), then ``--runs`` times warm. Target: <= 0.2 s warm.
* a full ``top-senders``: ``qmail-last-x "<everything>" | top-senders`` and ``top-senders FILES``.
  Target: >= 50 MB/s. The whole-log window starts before the first line, so the selector needs
  no context and skips the scan of the window for what it refers to.
* ``qmail-last-x "2 days" | top-senders``: a window that starts inside the log, so the selector
  first scans the whole window for deliveries and messages begun before it, then looks up their
  headers. Its rate is over the bytes it selects.
* ``grep -c delivery FILES`` as the yardstick (C reading the same bytes).

Every stage's exit status and stderr are checked: a stage that fails, or prints anything but the
expected "only have logs dating back to" warning, stops the bench with what it printed.
"now" is pinned just after the last line (NODEWORX_NOW) so "the last 5 minutes" has traffic.
Prints the figures as Markdown for bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
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


EARLIEST = b"Warning: We only have logs dating back to "


def pipeline(commands: list[list[str]], env: dict[str, str], *, warning: bool = False) -> tuple[float, bytes]:
    """Run commands joined by pipes; wall time from the first start to the last exit.

    Fails loudly (SystemExit) when a stage exits non-zero or writes to stderr; with ``warning``
    the first stage must print the guide's "We only have logs dating back to" line and nothing else.
    """
    with contextlib.ExitStack() as stack:
        errors = [stack.enter_context(tempfile.TemporaryFile()) for _ in commands]
        start = time.perf_counter()
        procs: list[subprocess.Popen[bytes]] = []
        stdin = None
        for i, command in enumerate(commands):
            last = i == len(commands) - 1
            proc = subprocess.Popen(command, stdin=stdin, stdout=subprocess.PIPE, stderr=errors[i], env=env)
            if stdin is not None:
                stdin.close()  # only the next stage holds the read end
            stdin = proc.stdout if not last else None
            procs.append(proc)
        out, _ = procs[-1].communicate()
        for proc in procs[:-1]:
            proc.wait()
        elapsed = time.perf_counter() - start
        for i, (proc, error) in enumerate(zip(procs, errors, strict=True)):
            error.seek(0)
            _check(commands, i, proc.returncode, error.read(), warning and i == 0)
    return elapsed, out


def _check(commands: list[list[str]], i: int, status: int, stderr: bytes, warning: bool) -> None:
    lines = stderr.splitlines()
    if status == 0 and (lines == [] if not warning else len(lines) == 1 and lines[0].startswith(EARLIEST)):
        return
    shown = " | ".join(
        " ".join([Path(c[0]).name, *c[1:3], *(["..."] if len(c) > 3 else [])]) for c in commands
    )
    problem = f"exited {status}" if status else "did not print the expected warning alone"
    raise SystemExit(
        f"bench: stage {i + 1} of `{shown}` {problem}; stderr:\n{stderr.decode(errors='replace')}"
    )


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
    from mailserver.qmail.logs.index import IndexCache
    from mailserver.qmail.logs.selection import select
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
    # A window that starts inside the log, so the selector needs the context scan: whole days
    # (2 days of the 2.7 generated), or three quarters of a small test log in minutes.
    span = last - first
    if span >= 2 * 86400:
        part_seconds = int(span // 86400) * 86400
        part = f"{part_seconds // 86400} days"
    else:
        part_seconds = max(60, int(span * 0.75 // 60) * 60)
        part = f"{part_seconds // 60} minutes"
    last_x = [str(BIN / "qmail-last-x"), "5 minutes"]
    top_senders = [str(BIN / "top-senders")]
    try:
        cold, out = pipeline([last_x, [str(BIN / "show-all")]], env)
        warm = [pipeline([last_x, [str(BIN / "show-all")]], env)[0] for _ in range(args.runs)]
        rows = out.count(b"\n") - 1
        selected = len(pipeline([last_x], env)[1])
        grep_time, grep_out = pipeline([["grep", "-c", "delivery", *files]], env)
        top_pipe, _ = pipeline([[str(BIN / "qmail-last-x"), whole], top_senders], env, warning=True)
        top_direct, _ = pipeline([[str(BIN / "top-senders"), *files]], env)
        select_part, counted = pipeline([[str(BIN / "qmail-last-x"), part], ["wc", "-c"]], env)
        part_bytes = int(counted)
        top_part, _ = pipeline([[str(BIN / "qmail-last-x"), part], top_senders], env)
        # How many context lines each selection starts with (the library, with the bench's cache).
        contexts = [
            len(select(log_dir, last + 1 - seconds, last + 1, cache=IndexCache(log_dir, cache)).context)
            for seconds in (300, part_seconds)
        ]
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
        f"| {statistics.median(warm):.3f} s | {rows} rows from {selected / 1e6:.1f} MB selected "
        f"({contexts[0]:,} context lines) |"
    )
    rotated = len(files) - 1
    print(f"| same, cold index cache (builds the tables of {rotated} rotated files once) | {cold:.3f} s | |")
    top = f'`qmail-last-x "{whole}" \\| top-senders` (whole log: no context scan)'
    print(f"| {top} | {top_pipe:.1f} s | {mb / top_pipe:.0f} MB/s |")
    print(f"| `top-senders FILES` (whole log) | {top_direct:.1f} s | {mb / top_direct:.0f} MB/s |")
    pmb = part_bytes / 1e6
    print(
        f'| `qmail-last-x "{part}" \\| top-senders` (window inside the log: context scan) '
        f"| {top_part:.1f} s | {pmb / top_part:.0f} MB/s of {pmb:,.0f} MB selected |"
    )
    print(
        f'| `qmail-last-x "{part}" \\| wc -c` (the selector alone: seek, context scan, copy) '
        f"| {select_part:.1f} s | {contexts[1]:,} context lines |"
    )
    count = sum(int(line.rsplit(b":", 1)[-1]) for line in grep_out.split())
    yardstick = f"yardstick: `grep -c delivery FILES` ({count:,} lines)"
    print(f"| {yardstick} | {grep_time:.1f} s | {mb / grep_time:.0f} MB/s |")


if __name__ == "__main__":
    main()
