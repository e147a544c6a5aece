"""freshclam's last update attempt and how it ended, read from its log.

Every attempt starts with ``ClamAV update process started at <date>`` (after a line of dashes
in the UpdateLogFile); what follows says how it went. Captured from freshclam 1.4.6 on a
host that reaches no update server::

    Tue Dec  1 16:19:21 2026 -> ClamAV update process started at Tue Dec  1 16:19:21 2026
    Tue Dec  1 16:19:21 2026 -> WARNING: Can't query current.cvd.clamav.net
    Tue Dec  1 16:19:21 2026 -> ERROR: remote_cvdhead: Download failed (6) Tue Dec  1 16:19:21 2026 -> \
    ERROR:  Message: Couldn't resolve host name
    Tue Dec  1 16:19:21 2026 -> ERROR: Update failed for database: daily
    Tue Dec  1 16:19:21 2026 -> ERROR: Update failed.

(freshclam really writes two messages on one line there.) A good attempt says
``daily.cld database is up-to-date (version: …)`` or ``daily.cld updated (version: …)``.
``LogTime yes`` puts the date and `` -> `` before each message; without it, or in the
multilog log of a supervised freshclam, the messages stand alone.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from mailserver.qmail.errors import QmailError
from mailserver.qmail.serverfile import open_regular

TAIL_BYTES = 256 * 1024  # several attempts; the file itself may grow without a limit
MAX_LINES = 40
_STAMP = r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}"
_SPLIT = re.compile(rf"(?:(ERROR|WARNING): )?{_STAMP} -> ")
_STARTED = re.compile(rf"ClamAV update process started at ({_STAMP})")
_DATABASE = re.compile(
    r"^(?P<file>[a-z]+)\.c[lv]d (?:database is )?(?P<what>up-to-date|updated) \((?P<details>[^)]*)\)"
)


@dataclass(frozen=True)
class DatabaseUpdate:
    database: str  # daily, main, bytecode
    outcome: str  # "up-to-date" or "updated"
    details: str  # "version: 27500, sigs: 2070000, f-level: 90, builder: raynman"


@dataclass(frozen=True)
class UpdateAttempt:
    started: float | None  # unix time (freshclam logs the host's local time)
    started_text: str
    result: str  # "updated", "up to date", "failed", "under way"
    errors: tuple[str, ...]
    databases: tuple[DatabaseUpdate, ...]
    lines: tuple[str, ...]  # the attempt's messages, as logged

    @property
    def ok(self) -> bool:
        return self.result in ("updated", "up to date")


def _local_time(text: str) -> float | None:
    try:
        return time.mktime(time.strptime(text, "%a %b %d %H:%M:%S %Y"))
    except (ValueError, OverflowError):
        return None


def messages(lines: list[str]) -> list[str]:
    """Each logged message on its own, without LogTime's date.

    In the UpdateLogFile the level follows the date (``<date> -> ERROR: …``); on freshclam's
    stdout it comes first (``ERROR: <date> -> …``), and freshclam can put two messages on one
    line. Both come out as ``ERROR: …``.
    """
    found = []
    for line in lines:
        matches = list(_SPLIT.finditer(line))
        if not matches:
            found.append(line.strip())
            continue
        found.append(line[: matches[0].start()].strip())
        for match, following in zip(matches, [*matches[1:], None], strict=True):
            text = line[match.end() : following.start() if following else len(line)].strip()
            found.append(f"{match[1]}: {text}" if match[1] else text)
    return [text for text in found if text and text.strip("-")]


def last_attempt(lines: list[str]) -> UpdateAttempt | None:
    """The last attempt in ``lines`` (oldest first), or None when the log holds none."""
    found = messages(lines)
    starts = [i for i, text in enumerate(found) if _STARTED.search(text)]
    if not starts:
        return None
    attempt = found[starts[-1] :]
    started = _STARTED.search(attempt[0])
    started_text = started[1] if started else ""
    errors = tuple(text.removeprefix("ERROR:").strip() for text in attempt if text.startswith("ERROR:"))
    databases = tuple(
        DatabaseUpdate(m["file"], m["what"], m["details"]) for text in attempt if (m := _DATABASE.match(text))
    )
    if any("Update failed" in text or "update process failed" in text for text in attempt) or errors:
        result = "failed"
    elif any(db.outcome == "updated" for db in databases):
        result = "updated"
    elif databases:
        result = "up to date"
    else:
        result = "under way"
    return UpdateAttempt(
        _local_time(started_text), started_text, result, errors, databases, tuple(attempt[:MAX_LINES])
    )


class LogUnreadable(QmailError):
    """freshclam's log cannot be read (missing, a link, not a regular file)."""


def tail_lines(path: Path, size: int = TAIL_BYTES) -> list[str]:
    """The last complete lines of ``path`` (up to ``size`` bytes), never through a link.

    No log yet is no line: freshclam has not run, which is a state to show, not a failure."""
    try:
        fd, st = open_regular(path)
    except FileNotFoundError:
        return []
    except (OSError, QmailError) as exc:
        raise LogUnreadable(f"{path} cannot be read: {exc}") from None
    try:
        start = max(0, st.st_size - size)
        data = os.pread(fd, st.st_size - start, start)
    finally:
        os.close(fd)
    lines = data.decode("utf-8", "replace").split("\n")
    if start > 0:
        lines = lines[1:]
    return [line for line in lines if line]
