"""What each service reads only when it starts, as it reads it: the inputs of "Restart it".

A change takes effect at the next start when it changes what the service *takes* from its
files, not when a file is written: Secure IMAP reads Courier's ``imapd`` and then
``imapd-ssl``, so an ``imapd`` setting that ``imapd-ssl`` sets again is not one it uses;
qmail-smtpd's run script takes the first line of ``control/me``; qmail-send reads
``concurrencyremote`` as qmail parses numbers. Each input is therefore a digest of the
value the service ends up with, under a stable key, with the label the page shows and
the file's modification time (for a process started without a record, see
:mod:`mailserver.agent.start_record`).

Files read per connection or per delivery (tcprules' cdb, rcpthosts, a certificate that
couriertls loads per session) are not inputs: they need no restart. Nor are ``locals`` and
``virtualdomains``, which qmail-send also rereads on HUP. Touches nothing; reads files only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from mailserver.courier import config as courier
from mailserver.qmail import atomic, control
from mailserver.qmail.errors import UnreadableFile
from mailserver.qmail.paths import Roots

SMTPD = ("qmail-smtpd", "qmail-submission")
POP3D = ("qmail-pop3d", "qmail-pop3d-ssl")
# The control files qmail-send takes only at its start (HUP rereads locals and virtualdomains only).
SEND_CONTROLS = tuple(
    name for name, spec in control.SPECS.items() if spec.takes_effect is control.TakesEffect.SEND_RESTART
)


@dataclass(frozen=True)
class Input:
    label: str  # what the page names: "run script", "concurrencyincoming", "/etc/courier/imapd (MAXDAEMONS)"
    digest: str  # of the value the service takes, not of the file's bytes
    file: str  # the label of the file it comes from, for the file-time rule
    mtime: float | None  # of that file; None when it is missing or unreadable


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _read(path: Path) -> tuple[bytes | None, float | None]:
    try:
        state = atomic.read_state(path)
    except UnreadableFile as exc:
        return f"unreadable: {exc}".encode(), None  # a link or fifo in its place is a change too
    return (state.content if state.exists else None), state.mtime


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", "replace")


def _whole(key: str, label: str, path: Path) -> tuple[str, Input]:
    """A file taken as a whole (a run script: sh reads all of it)."""
    raw, mtime = _read(path)
    return key, Input(label, _digest(_text(raw)), label, mtime)


def _first_line(name: str, roots: Roots) -> tuple[str, Input]:
    """``head -n 1 control/NAME``, as the run scripts read it."""
    raw, mtime = _read(roots.control(name))
    line = None if raw is None else _text(raw.split(b"\n", 1)[0])
    return name, Input(name, _digest(line), name, mtime)


def _control_value(name: str, roots: Roots, conf_spawn: int) -> tuple[str, Input]:
    raw, mtime = _read(roots.control(name))
    value = control.read_value(name, raw, conf_spawn=conf_spawn).value
    return name, Input(name, _digest(value), name, mtime)


def _courier(name: str, roots: Roots) -> dict[str, Input]:
    """Every setting the server ends up with after sourcing its files in order (sh: the last wins)."""
    directory = courier.config_dir(roots)
    found: dict[str, Input] = {}
    for file in courier.FILES[name]:
        raw, mtime = _read(directory / file)
        text = _text(raw)
        label = f"{directory}/{file}"
        if text is None:
            found[f"file {file}"] = Input(label, _digest(None), label, mtime)  # present or not: a change
            continue
        found[f"file {file}"] = Input(label, _digest("present"), label, mtime)
        for setting, assignment in courier.assignments(text).items():
            found[f"setting {setting}"] = Input(f"{label} ({setting})", _digest(assignment.raw), label, mtime)
    return found


def start_reads(roots: Roots, name: str, *, conf_spawn: int = control.CONF_SPAWN) -> dict[str, Input] | None:
    """The inputs of service ``name`` by key; None for a service whose start inputs are not known here."""
    run = _whole("run script", "run script", roots.service_dir(name) / "run")
    if name in SMTPD:
        return dict([run, _first_line("concurrencyincoming", roots), _first_line("me", roots)])
    if name in POP3D:
        return dict([run, _first_line("me", roots)])
    if name in courier.FILES:
        return dict([run, *_courier(name, roots).items()])
    if name == "qmail-send":
        rc = _whole("rc", "rc", roots.qmail / "rc")
        delivery = _whole("defaultdelivery", "defaultdelivery", roots.control("defaultdelivery"))
        controls = [_control_value(control_name, roots, conf_spawn) for control_name in SEND_CONTROLS]
        return dict([run, rc, delivery, *controls])
    return None
