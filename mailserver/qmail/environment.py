"""Settings from the environment, read one way by the agent, the web process and the log tools.

A NODEWORX_* path that is absolute is taken as it is; a relative one is relative to the
installation directory (the checkout; /opt/nodeworx in production), never to the current
directory. The agent started by systemd or svscan, the web process and a log tool typed in a
shell then find the same directory for the same value, even in one process: the agent also
runs the log tools' code.
"""

from __future__ import annotations

import os
from pathlib import Path

INSTALL_DIR = Path(__file__).resolve().parents[2]
# The panel's one setting for where a mail server lives: "/" on a real host, var/demo for the demo.
SERVER_ROOT_ENV = "NODEWORX_SERVER_ROOT"


def env_path(name: str, default: Path) -> Path:
    """The path in variable ``name`` (unset or empty: ``default``), relative ones under INSTALL_DIR."""
    value = os.environ.get(name)
    path = Path(value) if value else default
    return path if path.is_absolute() else INSTALL_DIR / path


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def server_root(default: Path) -> Path:
    """NODEWORX_SERVER_ROOT, or ``default`` where the caller has its own (the demo, or "/")."""
    return env_path(SERVER_ROOT_ENV, default)


def under_server_root(path: Path, *, default_root: Path = Path("/")) -> Path:
    """A path as it is on a real host (/var/log/qmail/send), moved under the server root."""
    return server_root(default_root) / path.relative_to("/")
