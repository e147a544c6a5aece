"""How far a long operation got, in small JSON files under the agent's state directory.

The page follows a long operation (a log report, a queue reset) by a token it made and sent with
it: the worker doing the work writes its progress to STATE/<kind>/<token>.json, atomically, and
any worker answers the page's polls by reading that file. A file is swept away an hour after it
was last written: the page follows an operation for minutes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from mailserver.qmail.errors import FieldError

from .celeryapp import settings

_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")
KEEP = 3600.0  # seconds a file is kept after it was last written


def token(value: object, field: str, *, required: bool = False) -> str | None:
    """The payload's ``field`` as a token safe to name a file with (None when absent and optional)."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise FieldError(field, f"{field} must be 8 to 64 letters, digits, - or _")
    return value


def folder(kind: str) -> Path:
    """STATE/<kind>, made private to root if it is not there yet."""
    path = settings.state_dir / kind
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def sweep(directory: Path) -> None:
    """Remove what was last written more than KEEP seconds ago."""
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in directory.iterdir():
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime > KEEP:
                    entry.unlink()


def write(path: Path, data: dict[str, Any]) -> None:
    """``data`` as ``path``, atomically: a poll reads the old progress or the new, never half."""
    fd, tmp = tempfile.mkstemp(prefix=".p", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


def read(path: Path) -> dict[str, Any] | None:
    """What ``path`` holds; None when it is missing or not (yet) JSON."""
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data
