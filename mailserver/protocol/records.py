"""One change to one file or service, as the agent reports it and the change log stores it."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class ChangeRecord(TypedDict):
    target: str  # "control/databytes", "service qmail-smtpd/run", "service qmail-send"
    action: str  # "write", "remove", "up", "down", "restart", "boot-on", "restore", …
    before: NotRequired[str]
    after: NotRequired[str]
    result: NotRequired[str]  # set only where one record of a batch ended differently
    message: NotRequired[str]


def intended(target: str, action: str = "write", after: str = "") -> ChangeRecord:
    """What the panel meant to do, for the log, when no agent answer says what was done."""
    return {"target": target, "action": action, "after": after}
