"""Where the log tools look, from options first, then the environment, then qmail's defaults.

Every tool in a pipeline runs as its own process, so settings travel as environment variables
(set once in the shell) rather than being repeated on each command. They are read as the agent
reads its own (``mailserver.qmail.environment``): a relative path is under the installation
directory, not the current one.
"""

from __future__ import annotations

import os
import pwd
import re
from pathlib import Path

from mailserver.qmail.environment import env_path
from mailserver.qmail.environment import under_server_root as under_server_root

SEND_LOG_ENV = "NODEWORX_QMAIL_SEND_LOG"
QMAIL_ROOT_ENV = "NODEWORX_QMAIL_ROOT"
WEBMAIL_UIDS_ENV = "NODEWORX_WEBMAIL_UIDS"
DEFAULT_SEND_LOG = Path("/var/log/qmail/send")
DEFAULT_QMAIL_ROOT = Path("/var/qmail")
DEFAULT_QUEUELIFETIME = 604800  # qmail-send's default when control/queuelifetime is absent
# The users webmail (Horde, Roundcube) runs as on RHEL and Debian; their uids are its mark.
DEFAULT_WEBMAIL_USERS = ("apache", "www-data")


# A command-line option is a path typed in the shell: relative to the current directory.
# Without NODEWORX_SERVER_ROOT the tools read this host's own qmail ("/"), not the demo.


def send_log_dir(option: str | None = None) -> Path:
    return Path(option) if option else env_path(SEND_LOG_ENV, under_server_root(DEFAULT_SEND_LOG))


def qmail_root(option: str | None = None) -> Path:
    return Path(option) if option else env_path(QMAIL_ROOT_ENV, under_server_root(DEFAULT_QMAIL_ROOT))


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
