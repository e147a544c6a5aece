"""tcpserver's access rules: the text source and the cdb tcprules compiles from it.

tcpserver -x drops every connection while its cdb is missing, so a new SMTP service
gets an ``:allow`` source and its cdb before it is ever started.

Both files are replaced through temporary files in their own directory (ROOTS.tcprules:
/etc, or NODEWORX_TCPRULES_DIR), so that whole directory must be writable. The sandboxed
agent unit opens SANDBOX_DIR alone and keeps /etc read-only: :func:`unwritable` says so,
before anything is written, in words the page shows.
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
# The rules' own directory that deploy/systemd/nodeworx-agent.service lets the agent write.
SANDBOX_DIR = "/etc/tcprules.d"
SETTING = "NODEWORX_TCPRULES_DIR"


def unwritable(roots: Roots, name: str, what: str, by_hand: str = "") -> str | None:
    """Why the rules ``tcp.NAME`` cannot be written where the agent keeps them, or None.

    ``what`` names the change for the admin, ``by_hand`` how to make it without the panel.
    Checked before a save writes anything: a directory that is missing (the setting names one
    the rules were never moved to), or on a file system mounted read-only (the agent unit's
    sandbox; statvfs reports the mount's flag).
    """
    directory = roots.tcprules
    source = roots.rules(name)[0]
    try:
        read_only = bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except FileNotFoundError:
        return (
            f"Not saved: {what} goes in {source}, but {directory} does not exist. {SETTING} names it: "
            "move the SMTP rules there first (README, Production). Nothing was changed."
        )
    except OSError:
        return None  # the write itself will say what is wrong
    if not read_only:
        return None
    if directory == roots.system / "etc":
        how = (
            f"move the SMTP rules to {SANDBOX_DIR}, the directory the agent's unit opens, and set "
            f"{SETTING}={SANDBOX_DIR} (README, Production)"
        )
    else:
        how = (
            f"the agent's unit opens {SANDBOX_DIR} only: keep the rules there, or give the agent "
            f"{directory} with ReadWritePaths={directory} in a drop-in"
        )
    return (
        f"Not saved: the agent's sandbox keeps {directory} read-only, so {what} cannot be written "
        f"to {source.name} there. To change it from the panel, {how}.{by_hand} Nothing was changed."
    )


def left_in_etc(roots: Roots, name: str) -> str | None:
    """What to tell the admin when ``tcp.NAME`` is missing from the rules' directory but still in
    /etc (NODEWORX_TCPRULES_DIR set, the files not copied yet), or None. The panel never moves
    them: which copy tcpserver reads is the run scripts' business, and the admin's."""
    directory, etc = roots.tcprules, roots.system / "etc"
    source = roots.rules(name)[0]
    old = etc / source.name
    if directory == etc or source.exists() or not old.exists():
        return None
    return (
        f"{source.name} is in {etc}, not in {directory}, where {SETTING} keeps the SMTP rules: "
        f"copy it (and {source.name}.cdb) there, then point the SMTP run scripts at it (README, Production)."
    )


def ensure_rules(roots: Roots, name: str) -> list[Path]:
    """The tcprules source (``:allow`` when absent) and cdb for ``name``; returns the files created."""
    source, cdb = roots.rules(name)
    created: list[Path] = []
    if cdb.exists():
        return created
    refused = unwritable(roots, name, "the new service's :allow rules")
    if refused:
        raise QmailError(refused)
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
