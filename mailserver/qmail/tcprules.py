"""tcpserver's access rules: the text source and the cdb tcprules compiles from it.

tcpserver -x drops every connection while its cdb is missing, so a new SMTP service
gets an ``:allow`` source and its cdb before it is ever started.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from . import atomic
from .errors import QmailError
from .paths import Roots
from .serverfile import open_regular

DEFAULT_RULES = b":allow\n"
TIMEOUT = 10.0


def ensure_rules(roots: Roots, name: str) -> list[Path]:
    """The tcprules source (``:allow`` when absent) and cdb for ``name``; returns the files created."""
    source, cdb = roots.rules(name)
    created: list[Path] = []
    if cdb.exists():
        return created
    if not source.exists():
        atomic.write_atomic(source, DEFAULT_RULES, expect_sha256=None, default_mode=0o644)
        created.append(source)
    compile_rules(roots, source, cdb)
    created.append(cdb)
    return created


def compile_rules(roots: Roots, source: Path, cdb: Path) -> None:
    """tcprules CDB TMP < SOURCE: tcprules writes TMP and renames it over CDB itself."""
    tcprules = roots.program("tcprules")
    tmp = atomic.temp_path(cdb)  # named like atomic's, so remove_stale_temps knows it
    try:
        rules, _ = open_regular(source)  # not through a link, not a fifo that would hang tcprules
        try:
            done = subprocess.run(
                [str(tcprules), str(cdb), str(tmp)],
                stdin=rules,
                capture_output=True,
                timeout=TIMEOUT,
                env={"PATH": "/usr/bin:/bin"},
                check=False,
            )
        finally:
            os.close(rules)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise QmailError(f"{tcprules} could not compile {source}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise QmailError(f"{tcprules} could not compile {source}: {why}")
