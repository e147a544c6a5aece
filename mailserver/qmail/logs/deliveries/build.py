"""The first build: the log split between processes, each joining its share, the seams stitched.

The join is sequential by nature (a result needs its start, a retry needs its message's
``info msg`` from days before), so each process joins a contiguous run of files from an empty
state, and what it could not resolve at its start is resolved afterwards from the state the
process before it ended with (:func:`stitch`):

* messages it first saw without their ``new msg``: if the previous share ended with that id
  open, they are the same message, and its rows are re-keyed to it while loading (``remap``);
* results whose start it had not seen (in its first two qmail-send runs) pair with the
  previous share's attempts still under way, by run and delivery number as the joiner pairs;
* an id whose first line in the share is a ``new msg`` while the previous share held it open:
  the joiner drops the old message there, and so does the stitch (an ``l`` end row);
* a re-keyed message's first attempt here to each recipient was written without the attempt
  before it (``prev_*``), which the previous share may hold: those rows get it while loading
  (``prev``, by their ``seq``), and its attempts still under way get it now.

Two seams the stitch cannot resolve (a qmail-send crash exactly at the seam, which renumbers
the runs, or a share starting at the very stamp of a ``status: exiting``) make it join that
share again after the previous one, sequentially; the result is the same, only slower.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..files import LogDir
from .reading import Sink, read_range
from .rows import (
    INFO,
    KEY,
    MKEY,
    NO_INFO,
    NO_PREV,
    NULL,
    PAIRS,
    QP,
    SEAM,
    SEP,
    WRITTEN,
    RowJoiner,
    orphan,
    pair_key,
)

KEY_SPAN = 1 << 40  # message keys of share i start at i << 40
Progress = Callable[[str, int, int], None]


class SeamError(Exception):
    """The seam needs the sequential join (see the module docstring)."""


def shares(sizes: list[int], count: int) -> list[list[int]]:
    """File indexes split into at most ``count`` contiguous runs of about equal bytes."""
    total = sum(sizes)
    groups: list[list[int]] = [[]]
    done = 0
    for i, size in enumerate(sizes):
        if groups[-1] and len(groups) < count and done >= total * len(groups) / count:
            groups.append([])
        groups[-1].append(i)
        done += size
    return [g for g in groups if g]


def _join_share(args: tuple[int, list[tuple[int, int, int]], Path]) -> bytes:
    """In a forked process: join files (number, inherited fd, size) from an empty state."""
    import gc

    gc.disable()  # no cycles among the joiner's lists; the collector only rescans them
    index, files, tmp = args
    joiner = RowJoiner(first_key=index * KEY_SPAN, seam=index > 0)
    sink = Sink(tmp, f"w{index}")
    for no, fd, size in files:
        joiner.file_no = no
        read_range(joiner, fd, 0, size, sink)
    sink.flush(joiner, force=True)
    return pickle.dumps((joiner, sink.files), protocol=pickle.HIGHEST_PROTOCOL)


def _row(m: list[object]) -> bytes:
    return SEP.join((m[KEY], m[3] or NULL, m[QP], m[INFO]))  # type: ignore[arg-type]


@dataclass
class Seams:
    """What the loader changes in rows a later share wrote (see the module docstring)."""

    remap: Path  # old mkey, new mkey, and the message's sender, size, uid, info, info_file
    prev: Path  # seq, prev_started, prev_finished


def stitch(
    left: RowJoiner,
    right: RowJoiner,
    right_first: bytes,
    extra: Sink,
    remap: list[bytes],
    prev: list[bytes],
) -> RowJoiner:
    """``right`` continued from ``left``'s end state; rows it changes go to ``extra``, rows the
    loader is to change to ``remap`` and ``prev``."""
    e1 = len(left.exits)
    if (
        right.first_start is not None
        and right.exits_at_first_start == 0
        and right.first_start <= left.last_start
    ):
        raise SeamError("qmail-send restarted without `status: exiting` at the seam")
    if left.exits and right_first and right_first <= left.exits[-1]:
        raise SeamError("the share starts at the stamp of a `status: exiting`")
    messages: list[bytes] = []
    attempts: list[bytes] = []
    ends: list[bytes] = []
    merged: dict[int, list[object]] = {}
    merged_ids: dict[int, tuple[list[object], list[object]]] = {}  # id -> (left's, right's)
    for msg_id, rm in right.seam_messages.items():
        rm[SEAM] = False
        lm = left.open.pop(msg_id, None)
        target = rm
        if lm is not None:
            target = merged[id(rm)] = lm
            merged_ids[msg_id] = (lm, rm)
            if lm[INFO] == NO_INFO and rm[INFO] != NO_INFO and not lm[WRITTEN]:
                lm[INFO], lm[QP] = rm[INFO], rm[QP]
            remap.append(SEP.join((b"%d" % rm[MKEY], b"%d" % lm[MKEY], lm[INFO])))  # type: ignore[arg-type,str-format]
            if right.open.get(msg_id) is rm:
                right.open[msg_id] = lm
        open_now = right.open.get(msg_id) is target
        if target is rm and rm[MKEY] in right.end_only:
            rm[WRITTEN] = True  # only its `end msg`: the joiner makes an empty message of it
        if not target[WRITTEN] and (not open_now or target[INFO] != NO_INFO):
            target[WRITTEN] = True
            messages.append(_row(target))
    for msg_id, label in right.first_new.items():
        lm = left.open.pop(msg_id, None)
        if lm is not None:  # the joiner drops a message whose id a `new msg` takes
            if not lm[WRITTEN]:
                lm[WRITTEN] = True
                messages.append(_row(lm))
            ends.append(b"%s\x1f%s\x1fl" % (lm[KEY], label))
    for run, number, tail in right.seam_results:
        run_key = e1 + run
        found = left.pending.pop((run_key, number), None)
        if found is None and run_key:
            found = left.pending.pop((run_key - 1, number), None)
        if found is None:
            attempts.append(orphan(number, tail))
        else:
            m, start, pair = found
            pair[1] = tail.rsplit(SEP, 2)[1]
            attempts.append(SEP.join((m[KEY], start, tail, m[INFO])))  # type: ignore[arg-type]
    _carry_prev(right, merged_ids, merged, prev)
    for run, number in right.seam_starts:  # a start on the right replaced the left's entry
        left.pending.pop((e1 + run, number), None)
    pending = dict(left.pending)
    pending.update({(run + e1, number): v for (run, number), v in right.pending.items()})
    right.pending = pending
    right.open = {**left.open, **right.open}
    if right.first_start is None and not right.exits:
        right.last_start = left.last_start
    right.exits = left.exits + right.exits
    right.latest = right.latest or left.latest
    right.lines += left.lines
    right.seam = False
    right.seam_messages, right.seam_results, right.seam_starts = {}, [], set()
    right.first_new, right.closed, right.end_only, right.seam_firsts = {}, set(), set(), []
    extra.add("messages", messages)
    extra.add("attempts", attempts)
    extra.add("ends", ends)
    return right


def _carry_prev(
    right: RowJoiner,
    merged_ids: dict[int, tuple[list[object], list[object]]],
    merged: dict[int, list[object]],
    prev: list[bytes],
) -> None:
    """The previous attempts the left share holds for the right's re-keyed messages (after the
    left's attempts under way at the seam have their results): into ``prev`` for written rows,
    into the starts of attempts under way; then the right's later attempts join the left's."""
    for msg_id, seq, start in right.seam_firsts:
        if msg_id in merged_ids:
            before = merged_ids[msg_id][0][PAIRS].get(pair_key(start))  # type: ignore[attr-defined]
            if before is not None:
                prev.append(b"%d\x1f%s\x1f%s" % (seq, before[0], before[1]))
    for key, (m, start, pair) in list(right.pending.items()):
        if id(m) in merged:
            lm = merged[id(m)]
            before = lm[PAIRS].get(pair_key(start))  # type: ignore[attr-defined]
            if before is not None and start.endswith(NO_PREV):
                start = start[: -len(NO_PREV)] + before[0] + SEP + before[1]
            right.pending[key] = (lm, start, pair)
    for lm, rm in merged_ids.values():
        lm[PAIRS].update(rm[PAIRS])  # type: ignore[attr-defined]  # the right's are the later ones


def join_files(
    log: LogDir, numbers: list[int], tmp: Path, workers: int = 2, progress: Progress | None = None
) -> tuple[RowJoiner, dict[str, list[Path]], Seams]:
    """Join ``log``'s files (all of them, numbered ``numbers``) into row files under ``tmp``.

    Returns the joiner's end state (to go on following the log from), the row files per table,
    and the seams' files for the loader.
    """
    sizes = [f.size for f in log.files]
    groups = shares(sizes, max(1, workers))
    jobs = [(i, [(numbers[j], log.fd(j), sizes[j]) for j in group], tmp) for i, group in enumerate(groups)]
    total = sum(sizes)
    if progress:
        progress("joining", 0, total)
    if len(jobs) == 1:
        outputs = [_join_share(jobs[0])]
    else:
        with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
            outputs = pool.map(_join_share, jobs, chunksize=1)
    if progress:
        progress("stitching", total, total)
    files: dict[str, list[Path]] = {}
    extra = Sink(tmp, "stitch")
    remap: list[bytes] = []
    prev: list[bytes] = []
    joiner: RowJoiner | None = None
    for i, output in enumerate(outputs):
        right, right_files = pickle.loads(output)  # noqa: S301 (our own child's output)
        for table, paths in right_files.items():
            files.setdefault(table, []).extend(paths)
        if joiner is None:
            joiner = right
            continue
        first = log.firsts[groups[i][0]]
        try:
            joiner = stitch(joiner, right, first, extra, remap, prev)
        except SeamError:  # join this share again after the previous one, in this process
            for table, paths in right_files.items():
                for path in paths:
                    files[table].remove(path)
                    path.unlink()
            sink = Sink(tmp, f"seq{i}")
            for j in groups[i]:
                joiner.file_no = numbers[j]
                read_range(joiner, log.fd(j), 0, sizes[j], sink)
            sink.flush(joiner, force=True)
            for table, paths in sink.files.items():
                files.setdefault(table, []).extend(paths)
    assert joiner is not None
    for table, paths in extra.files.items():
        files.setdefault(table, []).extend(paths)
    seams = Seams(tmp / "remap.tsv", tmp / "prev.tsv")
    for path, rows in ((seams.remap, remap), (seams.prev, prev)):
        path.write_bytes(b"\n".join(rows) + b"\n" if rows else b"")
    return joiner, files, seams


def now() -> float:
    return time.time()


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
