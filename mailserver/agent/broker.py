"""The Redis ACL that the panel and its agents share: one password-protected user, no default user.

The broker is not trusted with anything (tasks and results are signed), but a password
keeps strangers on the network from filling queues or reading which operations run.
The user may use Celery's commands on any key and channel; Redis' administrative and
dangerous commands (CONFIG, FLUSHALL, DEBUG, MODULE, ACL, SHUTDOWN…) are denied.
The password is stored as its SHA-256, so the ACL file reveals nothing.

    python -m mailserver.agent.broker ACLFILE PASSWORDFILE   # write the ACL file for redis-server --aclfile
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

USER = "nodeworx"
# INFO is in @dangerous but harmless and asked for by the redis client on connect in some versions.
_RULES = "~* &* +@all -@dangerous +info +ping +client|setname +client|id"


def acl_text(password: str, user: str = USER) -> str:
    digest = hashlib.sha256(password.encode()).hexdigest()
    return f"user default off\nuser {user} on #{digest} {_RULES}\n"


def write_acl(acl_file: Path, password_file: Path, user: str = USER) -> None:
    password = password_file.read_text().strip()
    if len(password) < 16:
        raise ValueError(f"{password_file}: the broker password must be at least 16 characters")
    fd = os.open(acl_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(acl_text(password, user))


if __name__ == "__main__":
    write_acl(Path(sys.argv[1]), Path(sys.argv[2]))
