"""The queue check: what queue-repair's test mode reports, read only.

It compares the queue with what qmail's install makes (:mod:`.install`: every directory and
split subdirectory, owners, modes, the lock files) and each message's files with each other:

- a file qmail would never find: not named by a message number, not a regular file, or in the
  wrong split subdirectory (``ID mod conf-split``);
- files that contradict each other: an info or todo file without its mess file (qmail-send cannot
  deliver such a message), recipient or bounce files of a message that has no info file (qmail-send
  never reads them, and a new message given the same number would inherit them);
- leftovers of an interrupted qmail-queue (a mess or intd file alone), once older than
  :data:`YOUNG` seconds (younger ones are probably being written);
- message files qmail-send cannot use: wrong owner or mode, or records it cannot read;
- mess files not named by their own inode number (copied or restored from a backup): queue-repair
  renames them; the panel only reports it.

Nothing is changed; for a broken queue the guide's answer is a reset (:mod:`.install`).
"""

from __future__ import annotations

import os
from typing import Final

from ..errors import QmailError
from . import index as cached
from .install import Owners
from .layout import CHANNELS, KINDS, SPLIT_KINDS, Layout
from .report import Report, owner_mode
from .structure import check_structure, split_strays

YOUNG: Final = 15 * 60
# Owner ("q" qmailq, "s" qmails) and mode of each kind of message file; group qmail except where
# qmail-queue leaves the injecting process's group (mess, todo, intd).
FILE_MODES: Final = {
    "mess": ("q", 0o644, False),
    "todo": ("q", 0o644, False),
    "intd": ("q", 0o644, False),
    "info": ("s", 0o600, True),
    "local": ("s", 0o600, True),
    "remote": ("s", 0o600, True),
    "bounce": ("s", 0o600, True),
}


def check(layout: Layout, *, now: float, owners: Owners | None = None) -> Report:
    """Everything wrong with the queue at ``layout``, changing nothing."""
    report = Report()
    owners = owners or Owners.for_queue(layout)
    check_structure(report, layout, owners)
    index = cached.index_for(layout)
    index.refresh()
    ids: dict[str, set[int]] = {}
    for kind in KINDS:
        ids[kind] = set()
        for number, shard in enumerate(index.shards(kind)):  # in subdirectory order
            rel_dir = str(shard.path.relative_to(layout.root))
            report.files += shard.files
            for name in shard.strays:
                report.add(
                    "warning",
                    "stray",
                    f"{rel_dir}/{name}",
                    "not a message file qmail would read (a stray name, a link or a directory)",
                )
            for msg_id in shard.ids:
                if layout.is_split(kind) and number != msg_id % layout.split:
                    report.add(
                        "error",
                        "misplaced",
                        f"{rel_dir}/{msg_id}",
                        f"in the wrong subdirectory: qmail looks for it in {layout.relative(kind, msg_id)}",
                        msg_id,
                    )
                    continue
                ids[kind].add(msg_id)
        if kind in SPLIT_KINDS:
            split_strays(report, layout, kind)
    _messages(report, layout, ids, owners, now)
    _contents(report, layout, index, ids)
    report.messages = len(ids["mess"] | ids["info"] | ids["todo"])
    return report


def _age(st: os.stat_result, now: float) -> float:
    return now - st.st_mtime


def _messages(report: Report, layout: Layout, ids: dict[str, set[int]], owners: Owners, now: float) -> None:
    everything = set().union(*ids.values())
    for msg_id in sorted(everything):
        has = {kind for kind in KINDS if msg_id in ids[kind]}
        stats: dict[str, os.stat_result] = {}
        for kind in sorted(has):
            try:
                stats[kind] = st = os.lstat(layout.path(kind, msg_id))
            except FileNotFoundError:
                has.discard(kind)  # gone meanwhile
                continue
            who, mode, group = FILE_MODES[kind]
            owner_mode(
                report,
                layout.relative(kind, msg_id),
                st,
                owners.uid(who),
                owners.qmail if group else None,
                mode,
                msg_id,
            )
        _consistency(report, layout, msg_id, has, stats, now)


def _consistency(
    report: Report, layout: Layout, msg_id: int, has: set[str], stats: dict[str, os.stat_result], now: float
) -> None:
    rel = layout.relative
    if "mess" in has and stats["mess"].st_ino != msg_id:
        report.add(
            "notice",
            "renumbered",
            rel("mess", msg_id),
            f"its inode is {stats['mess'].st_ino}, not {msg_id}: the queue was copied or restored; "
            "queue-repair renames such files",
            msg_id,
        )
    if "info" in has and "mess" not in has:
        report.add(
            "error",
            "inconsistent",
            rel("info", msg_id),
            "has no mess file: qmail-send cannot deliver this message",
            msg_id,
        )
    if "todo" in has and "mess" not in has:
        report.add(
            "error",
            "inconsistent",
            rel("todo", msg_id),
            "has no mess file: qmail-send cannot preprocess this message",
            msg_id,
        )
    if "info" not in has and "todo" not in has:
        for kind in ("local", "remote", "bounce"):
            if kind in has:
                report.add(
                    "warning",
                    "orphan",
                    rel(kind, msg_id),
                    "belongs to no message (there is no info file): qmail-send never reads it, and a "
                    "new message given this number would inherit it",
                    msg_id,
                )
        young = all(_age(stats[k], now) < YOUNG for k in has & {"mess", "intd"})
        if "mess" in has and not young:
            report.add(
                "warning",
                "orphan",
                rel("mess", msg_id),
                "a message file with neither info nor todo file, left by an interrupted qmail-queue; "
                "qmail-send's cleanup removes it 36 hours after it was last read",
                msg_id,
            )
        if "intd" in has and not young:
            report.add(
                "warning",
                "orphan",
                rel("intd", msg_id),
                "an envelope left by an interrupted qmail-queue",
                msg_id,
            )
    elif "info" in has and "todo" in has:
        report.add(
            "notice",
            "preprocessing",
            rel("todo", msg_id),
            "both todo and info files: qmail-send was preprocessing it and will do it again",
            msg_id,
        )


def _contents(report: Report, layout: Layout, index: cached.QueueIndex, ids: dict[str, set[int]]) -> None:
    """Records qmail-send could not read: files the index could not load."""
    loaded = {
        "info": index.column("info", "info", cached.info_loader),
        "todo": index.column("todo", "envelope", cached.envelope_loader),
        **{c: index.column(c, "recipients", cached.recipients_loader) for c in CHANNELS},
    }
    from .reader import read_small
    from .records import Malformed, parse_channel, parse_envelope, parse_info

    parsers = {"info": parse_info, "todo": parse_envelope, "local": parse_channel, "remote": parse_channel}
    for kind, values in loaded.items():
        unread = {msg_id for msg_id, value in values.items() if kind == "info" and value[1] is None}
        for msg_id in sorted((ids[kind] - values.keys()) | unread):
            try:
                parsers[kind](read_small(layout.path(kind, msg_id))[0])
            except FileNotFoundError:
                continue  # gone meanwhile
            except Malformed as exc:
                report.add(
                    "warning",
                    "malformed",
                    layout.relative(kind, msg_id),
                    f"{exc}: qmail-send cannot read it",
                    msg_id,
                )
            except (OSError, QmailError) as exc:
                report.add("warning", "unreadable", layout.relative(kind, msg_id), str(exc), msg_id)
