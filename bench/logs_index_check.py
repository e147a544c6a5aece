"""The index's top tables against the streaming tools' on a big log: every row, for each period.

    .venv/bin/python bench/logs_index_check.py LOG_DIR INDEX_DIR [--periods 3600,86400,604800]

The tests hold the index to the streaming tools on the fixture logs (sliding windows, filters,
channels); this does it on the bench's generated log, where a week holds millions of attempts
and retries straddle every period's start. For each period ending just after the last line
("Last hour", "Last day", "Last week" by default), every top-* table (top-deferrals and
-failures both by recipient and by sender) is computed once by the streaming tools (the
selection's chunks through the joiner and reports.Stats) and once from the index as the agent
pages it (ranked.py: sorted and cut in the database, here not cut), and compared row by row.
Prints a Markdown table and exits 1 on the first difference.
"""

# ruff: noqa: E501  (Markdown lines)

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailserver.qmail.logs.deliveries.query import Period  # noqa: E402
from mailserver.qmail.logs.deliveries.ranked import ranked  # noqa: E402
from mailserver.qmail.logs.deliveries.reports import Report  # noqa: E402
from mailserver.qmail.logs.deliveries.store import Store  # noqa: E402
from mailserver.qmail.logs.domains import Domains  # noqa: E402
from mailserver.qmail.logs.files import LogDir  # noqa: E402
from mailserver.qmail.logs.index import IndexCache  # noqa: E402
from mailserver.qmail.logs.messages import messages  # noqa: E402
from mailserver.qmail.logs.reports import Stats, table  # noqa: E402
from mailserver.qmail.logs.selection import select  # noqa: E402
from mailserver.qmail.logs.tai64n import to_unix  # noqa: E402

LOOKBACK = 8 * 86400.0  # as the agent's reports look back for `info msg` lines
TABLES = [
    ("top-senders", "recipient"), ("top-recipients", "recipient"), ("top-deferrals", "recipient"),
    ("top-deferrals", "sender"), ("top-failures", "recipient"), ("top-failures", "sender"),
    ("top-user-stats", "recipient"), ("top-domain-stats", "recipient"),
]  # fmt: skip


def streamed_stats(log_dir: Path, cache: Path, start: float, end: float) -> Stats:
    selection = select(log_dir, start, end, lookback=LOOKBACK, cache=IndexCache(log_dir, cache))
    try:
        return Stats(None, Domains(), ("senders", "recipients")).add_all(messages(selection.chunks()))
    finally:
        selection.log.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("log_dir", type=Path)
    parser.add_argument("index", type=Path)
    parser.add_argument("--periods", default="3600,86400,604800", help="seconds before the last line")
    args = parser.parse_args()
    store = Store(args.index)
    manifest = store.manifest()
    assert manifest is not None, "no index there"
    log = LogDir(args.log_dir)
    end = to_unix(log.last_label() or b"") + 1
    log.close()
    cache = Path(tempfile.mkdtemp(prefix="nodeworx-check-"))
    print("| period | table | rows | equal | streaming | index |")
    print("|---|---|---|---|---|---|")
    for span in (float(s) for s in args.periods.split(",")):
        began = time.perf_counter()
        stats = streamed_stats(args.log_dir, cache, end - span, end)
        streaming = time.perf_counter() - began
        period = Period(store.root, manifest, end - span, end, LOOKBACK)
        report = Report(period, [], None, None)
        for name, by in TABLES:
            streamed = table(name, stats, by=by).sort()
            began = time.perf_counter()
            got, total = ranked(report, name, by, None, False, len(streamed.rows) + 1)
            indexed = time.perf_counter() - began
            same = (got.columns, got.rows, total) == (streamed.columns, streamed.rows, len(streamed.rows))
            label = (
                name
                if by == "recipient" or name not in ("top-deferrals", "top-failures")
                else f"{name} by sender"
            )
            print(
                f"| {span / 3600:g} h | {label} | {total:,} | {'yes' if same else '**NO**'} | {streaming:.1f} s (all tables) | {indexed:.2f} s |"
            )
            if not same:
                period.close()
                return 1
        period.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
