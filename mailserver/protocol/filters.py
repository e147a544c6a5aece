"""What the agent reports for the Spam Filtering and Virus Filtering pages, and the mail alerts."""

from __future__ import annotations

from typing import Any, TypedDict

from .mda import AutoRestart, FileSeen
from .state import ServiceStatus


class Alert(TypedDict):
    level: str  # a Bootstrap tone: "danger"
    page: str  # where it is dealt with: "virus"
    text: str


class QueueHook(TypedDict):
    rules: str  # the tcprules source that sets it: /etc/tcp.smtp
    allow_rules: int
    with_variable: int
    values: list[str]
    unreadable: list[str]
    everywhere: bool  # every allowed SMTP connection hands its mail to simscan


class SmtpScanning(TypedDict):
    simscan: str  # where simscan would be: /var/qmail/bin/simscan
    simscan_installed: bool
    simscanmk_installed: bool
    simcontrol: FileSeen
    spam: bool  # the default line of control/simcontrol
    clam: bool
    spam_hits: str
    spam_hits_set: bool
    qmailqueue: QueueHook
    spam_active: bool  # mail really is scanned for spam during SMTP now
    clam_active: bool
    other_filters: list[str]
    notes: list[str]  # what the page says about it, e.g. that simscan is not installed


class LocalCf(TypedDict):
    path: str
    exists: bool
    sha256: str | None
    mtime: float | None
    managed: bool
    hand_edited: bool
    text: str  # only when the panel did not write it, or it was edited by hand
    notes: list[str]


class Override(TypedDict):
    file: str
    line: int
    field: str
    text: str


class LintProblem(TypedDict):
    field: str | None
    file: str | None
    line: int | None
    field_line: int | None
    text: str
    message: str
    describe: str  # one line for the admin


class Spamd(TypedDict):
    address: str
    port: int
    answering: bool
    script: dict[str, Any]  # exists, managed, hand_edited, sha256


class Training(TypedDict):
    enabled: bool
    limit: int
    file: FileSeen
    last_run: dict[str, Any] | None


class SpamState(TypedDict):
    node: str
    version: str | None
    services: dict[str, ServiceStatus]
    auto_restart: dict[str, AutoRestart]
    settings: dict[str, Any]  # the page's fields, as spamassassin.changes.as_form gives them
    local_cf: LocalCf
    site_dir: str
    overrides: list[Override]
    spamd: Spamd
    smtp_scanning: SmtpScanning
    training: Training


class Database(TypedDict):
    file: str
    version: int
    signatures: int
    built: float | None
    build_time: str
    builder: str
    signed: bool


class Clamd(TypedDict):
    endpoint: str | None
    answering: bool
    version: str | None
    engine: str | None
    daily_version: int | None
    error: str | None


class Freshclam(TypedDict):
    log: str | None
    started: float | None
    started_text: str
    result: str | None  # "updated", "up to date", "failed", "under way"; None: no attempt logged
    errors: list[str]
    lines: list[str]
    problem: str | None  # why the log could not be read


class VirusState(TypedDict):
    node: str
    services: dict[str, ServiceStatus]
    auto_restart: dict[str, AutoRestart]
    smtp_scanning: SmtpScanning
    database_dir: str
    databases: dict[str, Database | None]  # main, daily, bytecode
    database_problems: dict[str, str]
    local_signatures: list[dict[str, Any]]
    clamd: Clamd
    freshclam: Freshclam
    config: dict[str, Any]  # clamd.conf and freshclam.conf: path, exists, example
    alerts: list[Alert]
