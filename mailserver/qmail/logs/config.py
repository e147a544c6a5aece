"""Where the log tools look, from options first, then the environment, then qmail's defaults.

Every tool in a pipeline runs as its own process, so settings travel as environment variables
(set once in the shell) rather than being repeated on each command.
"""

from __future__ import annotations

import os
import pwd
import re
from pathlib import Path

SEND_LOG_ENV = "NODEWORX_QMAIL_SEND_LOG"
QMAIL_ROOT_ENV = "NODEWORX_QMAIL_ROOT"
WEBMAIL_UIDS_ENV = "NODEWORX_WEBMAIL_UIDS"
# The panel's one setting for where a server lives (``/`` on a real host, ./var/demo for the demo).
SERVER_ROOT_ENV = "NODEWORX_SERVER_ROOT"
DEFAULT_SEND_LOG = Path("/var/log/qmail/send")
DEFAULT_QMAIL_ROOT = Path("/var/qmail")
DEFAULT_QUEUELIFETIME = 604800  # qmail-send's default when control/queuelifetime is absent
# The users webmail (Horde, Roundcube) runs as on RHEL and Debian; their uids are its mark.
DEFAULT_WEBMAIL_USERS = ("apache", "www-data")


def under_server_root(default: Path) -> Path:
    """An absolute default path, moved under NODEWORX_SERVER_ROOT when that is set."""
    root = os.environ.get(SERVER_ROOT_ENV)
    return Path(root) / default.relative_to("/") if root else default


def send_log_dir(option: str | None = None) -> Path:
    return Path(option or os.environ.get(SEND_LOG_ENV) or under_server_root(DEFAULT_SEND_LOG))


def qmail_root(option: str | None = None) -> Path:
    return Path(option or os.environ.get(QMAIL_ROOT_ENV) or under_server_root(DEFAULT_QMAIL_ROOT))


def queuelifetime(root: Path) -> int:
    """Seconds a message may stay queued: how far back a selection looks for its headers."""
    # Imported here: the control module's validators are not needed by the other pipeline stages.
    from mailserver.qmail.control import read_number
    from mailserver.qmail.errors import QmailError
    from mailserver.qmail.serverfile import read_optional

    try:  # never through a link, never waiting on a fifo: the default is the safe answer
        raw = read_optional(root / "control" / "queuelifetime")
    except (OSError, QmailError):
        return DEFAULT_QUEUELIFETIME

    value = read_number(raw)  # as qmail-send reads it: "20x" is 20, no digits means the default
    return DEFAULT_QUEUELIFETIME if value is None else value


def _uid(name: str) -> int | None:
    if re.fullmatch(r"[0-9]{1,10}", name):  # not isdigit(): int("²") raises
        return int(name)
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def webmail_uids(option: list[str] | None = None) -> set[int]:
    """uids (or user names) from --uid, else NODEWORX_WEBMAIL_UIDS, else apache/www-data if they exist."""
    names = [part for item in option or [] for part in item.split(",")]
    if not names:
        names = os.environ.get(WEBMAIL_UIDS_ENV, "").split(",")
    names = [n.strip() for n in names if n.strip()] or list(DEFAULT_WEBMAIL_USERS)
    return {uid for uid in map(_uid, names) if uid is not None}
