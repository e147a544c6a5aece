"""Paths of packaged daemons' files (``/etc/spamassassin``, ``/var/lib/clamav``) inside the agent's roots.

``Roots.system`` is the host's ``/`` on a real server and the demo or test tree elsewhere.
A daemon's own configuration names further paths (clamd.conf's ``DatabaseDirectory``); on
a real host they are used as written, and in a tree built for the demo or the tests they
are either already inside that tree (the daemons really run there) or a stock path such as
``/var/lib/clamav``, which is then looked for inside the tree, never on the machine itself.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from .errors import OutsideRoots
from .paths import Roots


def system_path(roots: Roots, relative: str) -> Path:
    """``relative`` (e.g. ``etc/courier/imapd``) under the host's root."""
    if relative.startswith("/") or ".." in relative.split("/"):
        raise OutsideRoots(f"{relative!r} is not a path relative to the host's root")
    return roots.system / relative


def on_host(roots: Roots, named: str | Path) -> Path:
    """An absolute path a configuration file names, as this agent must open it.

    Normalised first, so ``/var/lib/../../etc`` cannot climb out of the tree.
    """
    text = str(named)
    if not text.startswith("/"):
        raise OutsideRoots(f"{text!r} is not an absolute path")
    path = Path(posixpath.normpath(text))
    system = roots.system
    if path == system or system in path.parents:
        return path
    return system / path.relative_to("/")
