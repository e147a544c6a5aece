"""The mail host's own figures the dashboard shows beside the queue counts.

The panel may run on another host than the mail server, so the agent reports them: the load
average, memory (psutil), and the space and inodes left on the file system the queue lives on
(every queued message takes inodes as well as bytes: a full inode table stops qmail-queue just as
a full disk does).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psutil


def figures(queue: Path) -> dict[str, Any]:
    memory = psutil.virtual_memory()
    fs = os.statvfs(queue)
    return {
        "load": list(os.getloadavg()),
        "cpus": os.cpu_count(),
        "memory": {"total": memory.total, "available": memory.available, "percent": memory.percent},
        "queue_fs": {
            "total_bytes": fs.f_blocks * fs.f_frsize,
            "free_bytes": fs.f_bavail * fs.f_frsize,
            "total_inodes": fs.f_files,
            "free_inodes": fs.f_favail,
        },
    }
