"""What the agent reports for the MDA page: the POP3 and IMAP servers and their two limits."""

from __future__ import annotations

from typing import TypedDict

from .state import ServiceStatus


class FileSeen(TypedDict):
    path: str
    exists: bool
    sha256: str | None  # what to send back as "expect"
    mtime: float | None


class InUse(TypedDict):
    connections: int
    limit: int | None  # as the server itself reports it; None when counted from processes
    at: float | None
    source: str


class MdaScript(TypedDict):
    path: str
    exists: bool
    sha256: str | None
    mtime: float | None
    managed: bool
    hand_edited: bool
    outdated: bool
    text: str  # only for a script the panel did not write (or one edited by hand)
    notes: list[str]


class AutoRestartEvent(TypedDict):
    at: float
    found: str
    action: str
    result: str
    ok: bool


class AutoRestart(TypedDict):
    enabled: bool
    intent: str | None  # the admin's last Start ("up") or Stop ("down") in the panel
    last_restart: AutoRestartEvent | None  # the last time the check had to start it, and did
    last_event: AutoRestartEvent | None
    checked_at: float | None  # the watchdog's last pass
    watchdog_running: bool  # a pass within the last few intervals


class MdaServer(TypedDict):
    service: str
    label: str  # "POP3", "Secure IMAP"
    status: ServiceStatus
    memory_limit: int | None  # bytes, as the server is configured now; None when not known
    memory_floor: int
    memory_default: int
    memory_source: str  # where the value lives: "run script", "/etc/courier/imapd (IMAP_ULIMITD)"
    connections: int | None
    connections_source: str
    port: int | None  # where it listens (its run script, or Courier's PORT / SSLPORT); None: unknown
    in_use: InUse | None
    script: MdaScript
    files: dict[str, FileSeen]  # Courier's imapd and imapd-ssl, for the secure and plain IMAP servers
    pending_restart: list[str]  # what it reads at start that changed since it started ("run script", …)
    pending_by_file_time: bool  # the process has no start record: judged by files written after its start
    auto_restart: AutoRestart


class MdaState(TypedDict):
    node: str
    servers: dict[str, MdaServer]
    versions: dict[str, str]
