"""The segments of the index: what the manifest says of each, merging small ones, the retention.

Each segment's manifest entry carries the time span of its rows (``oldest``, ``newest``, integer
nanoseconds), so the retention can drop a segment whole or rewrite only one that straddles the
cut. Small segments (one per read of ``current``) are merged into one once MERGE_AT gathered, so
a reader opens few files. Every new segment is a new directory; the old ones are retired (left
on disk for a grace period, see store.py) in the manifest that no longer names them.
"""

from __future__ import annotations

# ruff: noqa: S608  (SQL built from our own paths and column names)
import shutil
from pathlib import Path
from typing import Any

from . import load
from .store import Manifest, Store

SMALL = 500_000  # attempts: a segment with fewer is "small"
# The time of a row, per table, for the retention (attempts without a result: their start).
ROW_TIME = {
    "attempts": "coalesce(finished, started)",
    "messages": "coalesce(arrived, info)",
    "bounces": "label",
    "ends": "label",
}


def describe(con: Any, path: Path, counts: dict[str, int], since: str | None) -> dict[str, Any]:
    """The manifest entry of a new segment, with the time span of its rows."""
    spans = []
    for table, column in ROW_TIME.items():
        if counts.get(table):
            row = con.execute(
                f"SELECT min({column}), max({column}) FROM read_parquet('{path / table}.parquet')"
            ).fetchone()
            spans += [v for v in (row or ()) if v is not None]
    oldest, newest = (min(spans), max(spans)) if spans else (None, None)
    return {"name": path.name, "rows": counts, "since": since, "oldest": oldest, "newest": newest}


def small(manifest: Manifest) -> int:
    return sum(1 for s in manifest.segments if s["rows"].get("attempts", 0) < SMALL)


def merge_small(con: Any, store: Store, manifest: Manifest) -> None:
    """The small segments as one."""
    parts = [s for s in manifest.segments if s["rows"].get("attempts", 0) < SMALL]
    if len(parts) < 2:
        return
    merged = store.new_dir("seg")
    counts = {}
    for table in load.COLUMNS:
        paths = [str(store.root / s["name"] / f"{table}.parquet") for s in parts if s["rows"].get(table)]
        counts[table] = merge_parquet(con, paths, merged / f"{table}.parquet")
    counts[load.KEYS_TABLE] = load.write_keys(con, merged)  # the parts written by ticks had none
    names = {s["name"] for s in parts}
    manifest.segments = [s for s in manifest.segments if s["name"] not in names]
    manifest.segments.append(describe(con, merged, counts, None))
    store.retire(manifest, sorted(names))


def apply_retention(con: Any, store: Store, manifest: Manifest, now: float) -> None:
    """Drop rows older than the retention: whole segments, or the old part of one (rewritten)."""
    cutoff = int((now - store.retention_days() * 86400.0) * 1e9)
    kept, retired = [], []
    for segment in manifest.segments:
        if segment.get("newest") is not None and segment["newest"] < cutoff:
            retired.append(segment["name"])
        elif segment.get("oldest") is not None and segment["oldest"] < cutoff:
            newer = store.new_dir("seg")
            counts = {}
            for table, column in ROW_TIME.items():
                if segment["rows"].get(table):
                    source = f"read_parquet('{store.root / segment['name'] / table}.parquet')"
                    con.execute(
                        f"COPY (SELECT * FROM {source} WHERE {column} >= {cutoff} OR {column} IS NULL) "
                        f"TO '{newer / table}.parquet' ({load.PARQUET})"
                    )
                    row = con.execute(f"SELECT count(*) FROM read_parquet('{newer / table}.parquet')")
                    counts[table] = int((row.fetchone() or (0,))[0])
            if segment["rows"].get(load.KEYS_TABLE):  # keys of rows now gone name nothing shown: kept
                name = f"{load.KEYS_TABLE}.parquet"
                shutil.copyfile(store.root / segment["name"] / name, newer / name)
                counts[load.KEYS_TABLE] = segment["rows"][load.KEYS_TABLE]
            kept.append(describe(con, newer, counts, segment.get("since")))
            retired.append(segment["name"])
        else:
            kept.append(segment)
    if retired:
        manifest.segments = kept
        store.retire(manifest, retired)


def merge_parquet(con: Any, paths: list[str], out: Path) -> int:
    if not paths:
        return 0
    names = "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"
    con.execute(f"COPY (SELECT * FROM read_parquet({names})) TO '{out}' ({load.PARQUET})")
    row = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()
    return int(row[0]) if row else 0
