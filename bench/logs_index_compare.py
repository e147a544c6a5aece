"""Two delivery indexes of the same log, report by report in turn, as the agent computes them.

    .venv/bin/python bench/logs_index_compare.py BEFORE_INDEX AFTER_INDEX LOG_DIR [--threads 1]

Alternating the two in one run is what makes a before/after figure worth anything on a shared
VM whose load changes by the minute. An index of an older format is read as the code reads it
(on the texts); one built by this code, on its keys. Prints the CPU time of each report (one
DuckDB thread: about its wall time), median of 3 after a warm-up, "Last week" (the whole log
when it is shorter) and "Last day", "now" just after the log's last line, as Markdown.
"""

# ruff: noqa: E501  (Markdown lines)

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailserver.qmail.logs.deliveries.load import THREADS_ENV  # noqa: E402
from mailserver.qmail.logs.deliveries.store import Store  # noqa: E402
from mailserver.qmail.logs.files import LogDir  # noqa: E402
from mailserver.qmail.logs.tai64n import to_unix  # noqa: E402

REPORTS = [
    "show-all", "top-recipients", "top-senders", "top-deferrals", "top-failures", "top-user-stats",
    "top-domain-stats", "deferrals-by-cause",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("log_dir", type=Path)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    os.environ[THREADS_ENV] = str(args.threads)
    from bench.logs_index_bench import report_once

    stores = {"before": Store(args.before), "after": Store(args.after)}
    log = LogDir(args.log_dir)
    end = to_unix(log.last_label() or b"") + 1
    log.close()
    print(
        f"| report ({args.threads} thread(s)), CPU ms | Last week: before | after | Last day: before | after |"
    )
    print("|---|---|---|---|---|")
    for name in REPORTS:
        cells = []
        for span in (7 * 86400, 86400):
            cpu: dict[str, list[float]] = {"before": [], "after": []}
            for i in range(4):
                for tag, store in stores.items():
                    _, used = report_once(store, end - span, end, name, None)
                    if i:
                        cpu[tag].append(used)
            cells += [f"{statistics.median(cpu[t]) * 1000:.0f} ms" for t in ("before", "after")]
        print(f"| {name} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
