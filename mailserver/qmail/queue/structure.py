"""The queue's directories and lock files, compared with what qmail's install makes (:mod:`.install`)."""

from __future__ import annotations

import os
import stat

from .install import LOCK_FILES, TCPTO_SIZE, Owners
from .layout import DIRECTORIES, SPLIT_KINDS, Layout
from .report import Report, owner_mode


def check_structure(report: Report, layout: Layout, owners: Owners) -> None:
    for name, who, mode in DIRECTORIES:
        paths = [name] + ([f"{name}/{n}" for n in range(layout.split)] if name in SPLIT_KINDS else [])
        for rel in paths:
            path = layout.root / rel if rel else layout.root
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                report.add("error", "missing", rel or ".", "missing: qmail needs this directory")
                continue
            if not stat.S_ISDIR(st.st_mode):
                report.add("error", "type", rel or ".", "not a directory")
                continue
            owner_mode(report, rel or ".", st, owners.uid(who), owners.qmail, mode)
    for name, who, mode, fifo in LOCK_FILES:
        rel = f"lock/{name}"
        try:
            st = os.lstat(layout.root / rel)
        except FileNotFoundError:
            report.add("error", "missing", rel, "missing: qmail's install makes it")
            continue
        if (stat.S_ISFIFO if fifo else stat.S_ISREG)(st.st_mode) is False:
            report.add("error", "type", rel, "not a fifo" if fifo else "not a regular file")
            continue
        owner_mode(report, rel, st, owners.uid(who), owners.qmail, mode)
        if name == "tcpto" and st.st_size != TCPTO_SIZE:
            report.add("warning", "size", rel, f"{st.st_size} bytes, not {TCPTO_SIZE}")


def split_strays(report: Report, layout: Layout, kind: str) -> None:
    expected = {str(n) for n in range(layout.split)}
    try:
        names = os.listdir(layout.root / kind)
    except OSError:
        return
    for name in sorted(set(names) - expected):
        report.add(
            "warning",
            "stray",
            f"{kind}/{name}",
            f"not one of the {layout.split} subdirectories conf-split gives",
        )
