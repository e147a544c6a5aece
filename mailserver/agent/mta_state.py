"""Read the MTA's state from the server's files: the truth the MTA page shows.

Touches (read only): ROOTS.qmail/control/*, ROOTS.qmail/alias/.qmail-<discard alias>,
ROOTS.qmail/supervise run scripts through ROOTS.service/NAME/run, and the services'
supervise/status files.
"""

from __future__ import annotations

import dataclasses
import functools
import subprocess
from typing import Any

import psutil

from mailserver.protocol.state import (
    ControlFileState,
    DoubleBounce,
    MtaState,
    ScriptState,
    ServiceStatus,
)
from mailserver.qmail import atomic, control, doublebounce, runscript
from mailserver.qmail.errors import QmailError, UnreadableFile
from mailserver.qmail.runparams import SmtpdParams
from mailserver.services import registry

from .celeryapp import settings
from .service_ops import statuses
from .start_record import pending

# The control files of the guide's MTA page, plus the ones the route tester needs.
MTA_CONTROLS = (
    "me", "defaultdomain", "bouncefrom", "bouncehost", "doublebounceto", "doublebouncehost",
    "smtpgreeting", "concurrencyincoming", "timeoutsmtpd", "databytes", "badmailfrom", "badrcptto",
    "concurrencyremote", "timeoutremote", "timeoutconnect", "queuelifetime", "smtproutes",
    "rcpthosts", "locals", "virtualdomains",
)  # fmt: skip
SMTPD_SERVICES = ("qmail-smtpd", "qmail-submission")


def control_state(name: str) -> ControlFileState:
    spec = control.SPECS[name]
    default = spec.default.value if isinstance(spec.default, control.Default) else spec.default
    try:
        state = atomic.read_state(settings.roots.control(name))
    except UnreadableFile as exc:
        # A link, fifo or oversized file: named as such, never read, and the rest of the page works.
        return {
            "name": name,
            "label": spec.label,
            "exists": True,
            "link": exc.target,
            "problem": str(exc),
            "text": "",
            "sha256": None,
            "mtime": None,
            "value": None,
            "canonical": False,
            "note": str(exc),
            "default": list(default) if isinstance(default, tuple) else default,
            "takes_effect": spec.takes_effect.value,
        }
    seen = control.read_value(name, state.content if state.exists else None, conf_spawn=settings.conf_spawn)
    return {
        "name": name,
        "label": spec.label,
        "exists": state.exists,
        "link": None,
        "problem": None,
        # The raw text travels only where the page uses it: the route tester, and hand edits.
        "text": state.content.decode("utf-8", "replace")
        if name == "smtproutes" or not seen.canonical
        else "",
        "sha256": state.sha256,
        "mtime": state.mtime,
        "value": seen.value,
        "canonical": seen.canonical,
        "note": seen.note,
        "default": list(default) if isinstance(default, tuple) else default,
        "takes_effect": spec.takes_effect.value,
    }


def params_to_dict(params: SmtpdParams) -> dict[str, Any]:
    data = dataclasses.asdict(params)
    data["rbl_zones"] = list(params.rbl_zones)
    data["auth_mode"] = str(params.auth_mode)
    return data


@functools.lru_cache(maxsize=16)
def _parse_smtpd(text: str) -> runscript.ParsedRunScript:
    # Run scripts change rarely and every page read parses two of them: keep the last few.
    return runscript.parse_smtpd(text, settings.roots)


def script_state(service: str) -> ScriptState:
    path = settings.roots.service_dir(service) / "run"
    try:
        state = atomic.read_state(path)
    except UnreadableFile as exc:
        return {
            "service": service,
            "exists": True,
            "link": exc.target,
            "problem": str(exc),
            "text": "",
            "sha256": None,
            "mtime": None,
            "params": None,
            "managed": False,
            "hand_edited": False,
            "outdated": False,
            "guessed": [],
            "rules_moved_from": None,
        }
    text = state.content.decode("utf-8", "replace")
    parsed = _parse_smtpd(text) if state.exists else None
    clean = bool(parsed and parsed.managed and not parsed.hand_edited)
    return {
        "service": service,
        "exists": state.exists,
        "link": None,
        "problem": None,
        "text": "" if clean else text,  # shown to the admin only when it is not what the panel wrote
        "sha256": state.sha256,
        "mtime": state.mtime,
        "params": params_to_dict(parsed.params) if parsed and parsed.params else None,
        "managed": bool(parsed and parsed.managed),
        "hand_edited": bool(parsed and parsed.hand_edited),
        "outdated": bool(parsed and parsed.outdated),
        "guessed": list(parsed.guessed) if parsed else [],
        "rules_moved_from": parsed.rules_moved_from if parsed else None,
    }


def double_bounce_state(doublebounceto: Any) -> DoubleBounce:
    # ~alias belongs to the unprivileged alias user: read_state refuses a fifo or device
    # there (it would hang this read), and such a file discards nothing either.
    try:
        alias = atomic.read_state(settings.roots.alias(doublebounce.DISCARD_ALIAS))
    except QmailError:
        alias = atomic.MISSING
    content = alias.content if alias.exists else None
    return {
        "discarding": doublebounce.is_discarding(doublebounceto, content),
        "alias": doublebounce.DISCARD_ALIAS,
        "broken": doublebounce.is_broken(doublebounceto, content),
    }


def _pending(services: dict[str, ServiceStatus]) -> tuple[dict[str, list[str]], list[str]]:
    """Which running services would read something different at a new start (by label), and which
    of them have no start record, so that only file times could tell (mailserver.agent.start_record)."""
    changed: dict[str, list[str]] = {}
    by_file_time = []
    for name, status in services.items():
        found = pending(name, status["up"], status["pid"], status["since"])
        if found.changed:
            changed[name] = found.changed
            if found.by_file_time:
                by_file_time.append(name)
    return changed, by_file_time


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Package versions; asked once per agent process (they change only with an upgrade)."""
    found = {}
    for package in ("daemontools", "ucspi-tcp"):
        try:
            done = subprocess.run(
                ["/usr/bin/dpkg-query", "-W", "-f=${Version}", package],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            )
            found[package] = done.stdout.strip() or "unknown"
        except (OSError, subprocess.TimeoutExpired):
            found[package] = "unknown"
    return found


@functools.lru_cache(maxsize=1)
def local_addresses() -> list[str]:
    return sorted(
        {
            a.address
            for addrs in psutil.net_if_addrs().values()
            for a in addrs
            if a.family.name in ("AF_INET", "AF_INET6")
        }
    )


def read_state() -> MtaState:
    controls = {name: control_state(name) for name in MTA_CONTROLS}
    scripts = {name: script_state(name) for name in SMTPD_SERVICES}
    # Together, not one by one: a young service is watched a moment for a restart loop.
    services = statuses(registry.names(registry.on_page(registry.Page.MTA)))
    qmail_installed = any(s["installed"] for s in services.values())
    pending_restarts, by_file_time = _pending(services)
    return {
        "node": settings.node,
        "conf_spawn": settings.conf_spawn,
        "controls": controls,
        "scripts": scripts,
        "services": services,
        "double_bounce": double_bounce_state(controls["doublebounceto"]["value"]),
        "pending_restarts": pending_restarts,
        "pending_by_file_time": by_file_time,
        "versions": {"qmail": "installed" if qmail_installed else "not installed", **versions()},
        "local_addresses": local_addresses(),
    }
