"""The shapes of what an agent reports about the server: what the pages read.

They are TypedDicts, not classes, because they travel as JSON and are read on the
other side as plain dicts; mypy checks every key a view, form or template helper reads.
"""

from __future__ import annotations

from typing import Any, TypedDict


class ControlFileState(TypedDict):
    name: str
    label: str
    exists: bool
    link: str | None  # the target, when the file is a symbolic link (never read through)
    problem: str | None  # why it is not read: a link, a fifo, over the size limit
    text: str  # the raw text, only where the page shows it (route tester, hand edits)
    sha256: str | None
    mtime: float | None
    value: Any  # as qmail reads it: int, str, list[str] or None
    canonical: bool  # False: edited by hand (comments, "20x", …)
    note: str
    default: Any
    takes_effect: str


class ScriptState(TypedDict):
    service: str
    exists: bool
    link: str | None
    problem: str | None
    text: str
    sha256: str | None
    mtime: float | None
    params: dict[str, Any] | None
    managed: bool
    hand_edited: bool
    outdated: bool
    guessed: list[str]
    rules_moved_from: str | None  # the panel's script still reads this cdb (NODEWORX_TCPRULES_DIR moved)


class LogStatus(TypedDict):
    summary: str
    state: str


class LogLine(TypedDict):
    at: float | None  # unix time of multilog's stamp
    text: str


class ServiceStatus(TypedDict):
    name: str
    exists: bool
    installed: bool
    missing: list[str]  # the programs absent from the server (empty when installed)
    supervised: bool
    up: bool
    pid: int | None
    seconds: int | None
    since: float | None
    normally_up: bool
    want: str | None
    paused: bool
    summary: str
    state: str  # a mailserver.services.states.State value
    failing: str  # why it counts as failing (keeps exiting and restarting); "" when it does not
    restarts: int  # starts nobody asked for, seen while the agent watched it
    log: LogStatus | None
    log_tail: list[LogLine]  # the last lines of its log, sent when it is failing


class DoubleBounce(TypedDict):
    discarding: bool
    alias: str
    broken: bool


class MtaState(TypedDict):
    node: str
    conf_spawn: int
    controls: dict[str, ControlFileState]
    scripts: dict[str, ScriptState]
    services: dict[str, ServiceStatus]
    double_bounce: DoubleBounce
    pending_restarts: dict[str, list[str]]  # service: what it reads at start that changed since it started
    pending_by_file_time: list[str]  # of those, the ones without a start record: judged by file times
    versions: dict[str, str]
    local_addresses: list[str]
