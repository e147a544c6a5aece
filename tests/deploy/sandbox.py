"""Run a program under the file-system and privilege limits a systemd unit sets, without systemd.

This container has no systemd as PID 1, so the agent unit's restrictions are rebuilt
from the same settings with the kernel features systemd itself uses:

- ProtectSystem=strict + ReadWritePaths + ReadOnlyPaths: a private mount namespace
  (``unshare --mount``) where each read-write path is bind-mounted onto itself, then the
  mounts holding ``/`` and the server root are remounted read-only (the binds stay writable,
  as in systemd), and last each read-only path inside a writable one is bound onto itself
  read-only (systemd, too, applies the deeper path last).
- CapabilityBoundingSet + NoNewPrivileges: ``setpriv --bounding-set … --no-new-privs``
  (root keeps exactly the bounding set's capabilities across exec, as under systemd).
- MemoryDenyWriteExecute and RestrictAddressFamilies: applied by the program itself
  (``agent_in_sandbox``) before it imports anything: prctl(PR_SET_MDWE) and a seccomp
  filter on socket(), both inherited by what it runs.

- PrivateTmp: the caller gives the program a writable directory of its own as TMPDIR.

Not rebuilt here: PrivateDevices, ProtectHome, ProtectKernel*, SystemCallFilter
(``systemd-analyze verify`` checks those settings; they do not touch the agent's paths).

``python -m tests.deploy.sandbox SPEC_JSON`` is the step inside the namespace: it mounts,
then execs setpriv and the program.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from mailserver.agent.config import BASE_DIR

SETPRIV = "/usr/bin/setpriv"
MOUNT = "/usr/bin/mount"


def _mount(*args: str) -> None:
    subprocess.run([MOUNT, *args], check=True, timeout=10)


def _mount_point(path: Path) -> str:
    """The mount point that holds ``path`` (the longest mounted prefix)."""
    best = "/"
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        target = line.split()[4]
        if (str(path) + "/").startswith(target.rstrip("/") + "/") and len(target) > len(best):
            best = target
    return best


def enter(spec: dict[str, list[str]]) -> None:
    """Inside the new mount namespace: binds, read-only remounts, then setpriv + the program."""
    for path in spec["rw"]:
        _mount("--bind", path, path)
    for point in sorted({_mount_point(Path("/")), *(_mount_point(Path(p)) for p in spec["ro_for"])}):
        _mount("-o", "remount,bind,ro", point)
    for path in spec["rw"]:
        _mount("-o", "remount,bind,rw", path)
    for path in sorted(spec.get("ro", []), key=lambda p: len(Path(p).parts)):
        _mount("--bind", path, path)
        _mount("-o", "remount,bind,ro", path)
    caps = ",".join(["-all", *(f"+{cap}" for cap in spec["caps"])])
    os.execv(  # noqa: S606  (argument list, absolute path: the unit's ExecStart under setpriv)
        SETPRIV, [SETPRIV, "--no-new-privs", "--bounding-set", caps, "--inh-caps", "-all", *spec["argv"]]
    )


def run_sandboxed(
    argv: list[str],
    *,
    writable: list[Path],
    read_only: list[Path],
    read_only_inside: Sequence[Path] = (),
    caps: list[str],
    env: dict[str, str],
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` with only ``writable`` writable among the mounts of ``/`` and ``read_only``,
    and ``read_only_inside`` (paths within ``writable``) read-only again."""
    spec = {
        "rw": [str(p) for p in writable],
        "ro": [str(p) for p in read_only_inside],
        "ro_for": [str(p) for p in read_only],
        "caps": caps,
        "argv": argv,
    }
    return subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            sys.executable,
            "-m",
            "tests.deploy.sandbox",
            json.dumps(spec),
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


if __name__ == "__main__":
    enter(json.loads(sys.argv[1]))
