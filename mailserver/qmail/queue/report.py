"""What the queue check reports: problems with their severity, and the report as JSON."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import Any, Final

MAX_SHOWN: Final = 200


@dataclass(frozen=True)
class Problem:
    severity: str  # "error": mail is stuck or lost; "warning": qmail copes, but it is wrong; "notice"
    kind: str
    path: str  # relative to the queue directory
    message: str
    id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "kind": self.kind,
            "path": self.path,
            "message": self.message,
            "id": self.id,
        }


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    messages: int = 0
    files: int = 0

    def add(self, severity: str, kind: str, path: str, message: str, msg_id: int | None = None) -> None:
        self.problems.append(Problem(severity, kind, path, message, msg_id))

    def as_json(self, limit: int = MAX_SHOWN) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for problem in self.problems:
            counts[problem.severity] = counts.get(problem.severity, 0) + 1
        return {
            "ok": not self.problems,
            "messages": self.messages,
            "files": self.files,
            "counts": counts,
            "problems": [p.as_json() for p in self.problems[:limit]],
            "more": max(0, len(self.problems) - limit),
        }


def owner_mode(
    report: Report,
    rel: str,
    st: os.stat_result,
    uid: int,
    gid: int | None,
    mode: int,
    msg_id: int | None = None,
) -> None:
    if st.st_uid != uid or (gid is not None and st.st_gid != gid):
        group = "" if gid is None else f":{gid}"
        report.add(
            "warning",
            "owner",
            rel,
            f"owned by {st.st_uid}:{st.st_gid}, not {uid}{group} as qmail makes it",
            msg_id,
        )
    if stat.S_IMODE(st.st_mode) != mode:
        report.add(
            "warning",
            "mode",
            rel,
            f"mode {stat.S_IMODE(st.st_mode):04o}, not {mode:04o} as qmail makes it",
            msg_id,
        )
