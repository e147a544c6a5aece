"""The temp files of atomic writes whose writer is dead: what a killed agent leaves behind."""

from __future__ import annotations

import os
import re
from pathlib import Path

_TEMP = re.compile(
    r"\.(?P<target>.+)\.tmp-(?P<pid>[0-9]{1,10})-[0-9a-f]{8}"
)  # as atomic.temp_path names them


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def dead_writers_temps(directory: Path) -> list[str]:
    """Temp files in ``directory`` whose writing process is gone (one still writing is not stray)."""
    return sorted(
        p.name for p in directory.iterdir() if (m := _TEMP.fullmatch(p.name)) and not _alive(int(m["pid"]))
    )
