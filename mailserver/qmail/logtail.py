"""The last lines a service logged: where its ``log/run`` has multilog write, and the end of ``current``.

A run script that fails says why on its output (the panel's end in ``exec 2>&1``), which
svscan pipes into ``NAME/log``; multilog writes it, stamped, into the directory its
``log/run`` names. The panel's own ``log/run`` names it in its ``LOG_DIR=`` header; a
hand-written one (``exec setuidgid qmaill multilog t /var/log/qmail/smtpd``, or ``./main``
relative to ``NAME/log``) names it as multilog's directory argument. A directory outside the
log root and the service's own ``log/`` is not read, nor anything through a link: the
directory belongs to the log user, and the root agent must not show what a link points at.
"""

from __future__ import annotations

import os
import posixpath
import shlex
from dataclasses import dataclass
from pathlib import Path

from .errors import UnreadableFile
from .logs import tai64n
from .paths import Roots
from .runscript import read_header
from .serverfile import open_regular, read_regular

LINES = 12
TAIL_BYTES = 16384  # enough for the lines a card shows; current can be 16 MB
LINE_CHARS = 400
_SCRIPT_LIMIT = 65536


@dataclass(frozen=True, slots=True)
class LogLine:
    at: float | None  # unix time of multilog's stamp; None for a line without one
    text: str


def _within(path: str, *roots: Path) -> bool:
    return any(path == str(root) or path.startswith(str(root) + "/") for root in roots)


def _named_directory(script: str) -> str | None:
    """multilog's directory argument (the last word starting with ``.`` or ``/``), or LOG_DIR."""
    if "# nodeworx-managed: log.run" in script:
        return read_header(script).get("LOG_DIR")
    for line in reversed(script.splitlines()):
        if "multilog" not in line or line.lstrip().startswith("#"):
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            return None
        for at, word in enumerate(words):
            if posixpath.basename(word) == "multilog":
                # multilog's script: options and patterns, then one or more directories.
                directories = [w for w in words[at + 1 :] if w[:1] in (".", "/")]
                return directories[-1] if directories and "$" not in directories[-1] else None
    return None


def log_directory(roots: Roots, name: str) -> Path | None:
    """The multilog directory of service ``name``, or None when its ``log/run`` does not say
    one the panel may read (no log service, a variable, a place outside the log roots)."""
    log_service = roots.service_dir(name) / "log"
    try:
        script = read_regular(log_service / "run", limit=_SCRIPT_LIMIT)[0].decode("utf-8", "replace")
    except (OSError, UnreadableFile):
        return None
    named = _named_directory(script)
    if not named:
        return None
    path = posixpath.normpath(posixpath.join(str(log_service), named))
    return Path(path) if _within(path, roots.log, log_service) else None


def _line(raw: bytes) -> LogLine:
    text = raw.decode("utf-8", "replace").rstrip("\r")
    stamp, _, rest = text.partition(" ")
    if stamp[:1] == "@" and tai64n.is_label(stamp[1:].encode("ascii", "replace")):
        return LogLine(tai64n.to_unix(stamp), rest[:LINE_CHARS])
    return LogLine(None, text[:LINE_CHARS])


def last_lines(directory: Path, count: int = LINES) -> list[LogLine]:
    """The last ``count`` complete lines of ``directory/current``, oldest first ([] if none)."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return []
    try:
        fd, st = open_regular("current", dir_fd=dir_fd, shown=directory / "current")
    except (OSError, UnreadableFile):
        return []
    finally:
        os.close(dir_fd)
    try:
        start = max(0, st.st_size - TAIL_BYTES)
        tail = os.pread(fd, st.st_size - start, start)
    finally:
        os.close(fd)
    tail = tail[: tail.rfind(b"\n") + 1]  # a line multilog is still writing is left out
    lines = tail.split(b"\n")[:-1]
    if start > 0:
        lines = lines[1:]  # cut somewhere inside the first one
    return [_line(raw) for raw in lines[-count:]]
