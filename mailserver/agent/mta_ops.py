"""MTA operations: read the whole MTA state, write control files, write an SMTP run script.

Every write re-validates its payload with the library validators the forms use,
checks that the file still holds what the admin saw (sha256), writes atomically,
and answers with before/after for the change log plus the state read back from disk.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Any

from mailserver.qmail import atomic, control, doublebounce, runscript
from mailserver.qmail.errors import Conflict, InvalidValue
from mailserver.qmail.runparams import SmtpdParams, validate_smtpd
from mailserver.qmail.smtpauth import parse_auth_mode

from . import mta_state
from .celeryapp import settings
from .operations import FieldError, Payload, operation, require
from .service_ops import installed

_SMTPD_FIELDS = {f.name for f in dataclasses.fields(SmtpdParams)}


class HandEdited(Conflict):
    """A file the admin has not confirmed replacing: its content is not what the panel writes."""

    kind = "hand_edit"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@operation("mta.read_state")
def read_state(payload: Payload) -> dict[str, Any]:
    """Reads ROOTS.qmail/control/*, the SMTP run scripts and the services' status."""
    return mta_state.read_state()


def _text(data: bytes | None) -> str:
    return "" if data is None else data.decode("utf-8", "replace")


@operation("mta.write_controls")
def write_controls(payload: Payload) -> dict[str, Any]:
    """Writes (or removes, to restore the default) ROOTS.qmail/control/NAME for each file given.

    Payload: {"files": {NAME: {"value": V or None, "expect": sha256 or None}},
              "replace_hand_edits": true|false (needed to rewrite a file qmail reads differently
              from what the panel would write, e.g. one with comments or "20x"),
              "double_bounce_discard": true|false (optional; writes ROOTS.qmail/alias/.qmail-<alias>)}.
    All values are validated before anything is written; if a write fails, the
    files already written are put back, so the change applies whole or not at all.
    """
    files = require(payload, "files", dict)
    planned: list[tuple[str, Path, bytes | None, atomic.Expect]] = []
    for name, item in files.items():
        if name not in mta_state.MTA_CONTROLS or not isinstance(item, dict):
            raise FieldError(str(name), f"{name!r} is not a control file this page manages")
        spec = control.SPECS[name]
        value = item.get("value")
        if value is None or value == "":
            if not spec.removable:
                raise FieldError(name, f"{spec.label} cannot be left empty: {spec.when_missing}")
            data = None
        else:
            try:
                data = control.render(name, control.validate(name, value, conf_spawn=settings.conf_spawn))
            except InvalidValue as exc:
                raise FieldError(name, str(exc)) from None
        expect: atomic.Expect = atomic.ANY  # no "expect": the caller does not know the file
        if "expect" in item:
            expect = item["expect"]
            if expect is not None and not isinstance(expect, str):
                raise FieldError(name, "expect must be a sha256 or null")
        path = settings.roots.control(name)
        if payload.get("replace_hand_edits") is not True:
            _refuse_hand_edit(name, path)
        planned.append((name, path, data, expect))

    discard = payload.get("double_bounce_discard")
    if discard is not None and not isinstance(discard, bool):
        raise FieldError("double_bounce_discard", "must be true or false")
    if discard:
        alias = settings.roots.alias(doublebounce.DISCARD_ALIAS)
        planned.append(("alias", alias, doublebounce.DISCARD_CONTENT, atomic.ANY))

    changes, undo = [], []
    name = ""
    try:
        for planned_name, path, data, expect in planned:
            name = planned_name
            before = atomic.read_state(path)
            if data is None:
                atomic.remove(path, expect_sha256=expect)
            else:
                atomic.write_atomic(path, data, expect_sha256=expect)
            undo.append((path, before))
            if before.content != (data or b"") or before.exists != (data is not None):
                changes.append(
                    {
                        "target": str(path.relative_to(settings.roots.qmail)),
                        "action": "remove" if data is None else "write",
                        "before": _text(before.content if before.exists else None),
                        "after": _text(data),
                    }
                )
    except Conflict as exc:
        _undo(undo)
        raise Conflict(f"control/{name} changed on the server since the page was loaded. {exc}") from None
    except BaseException:
        _undo(undo)
        raise
    return {"changes": changes, "state": mta_state.read_state()}


def _refuse_hand_edit(name: str, path: Path) -> None:
    current = atomic.read_state(path)
    if not current.exists:
        return
    seen = control.read_value(name, current.content, conf_spawn=settings.conf_spawn)
    if not seen.canonical:
        raise HandEdited(f"control/{name} was edited by hand: {seen.note} Confirm to replace it.", name)


def _undo(done: list[tuple[Path, atomic.FileState]]) -> None:
    for path, before in reversed(done):
        with contextlib.suppress(OSError):
            if before.exists:
                atomic.write_atomic(path, before.content)
            else:
                atomic.remove(path)


def _base_params(service: str, current: dict[str, Any]) -> SmtpdParams:
    """What the script says now, or the template's defaults for a service not set up yet."""
    if current["params"]:
        return params_from_dict(current["params"])
    roots = settings.roots
    base = SmtpdParams.primary(roots) if service == "qmail-smtpd" else SmtpdParams.submission(roots)
    return dataclasses.replace(base, user=settings.smtpd_user, checkpassword=settings.checkpassword)


def params_from_dict(data: dict[str, Any], base: SmtpdParams | None = None) -> SmtpdParams:
    """SmtpdParams from JSON-ish data; with ``base``, only the fields given change."""
    if set(data) - _SMTPD_FIELDS:
        raise FieldError("params", f"unknown run-script settings {sorted(set(data) - _SMTPD_FIELDS)}")
    values = dict(data)
    if "rbl_zones" in values:
        zones = values["rbl_zones"]
        if not isinstance(zones, list | tuple) or not all(isinstance(z, str) for z in zones):
            raise FieldError("rbl_zones", "rbl_zones must be a list of zone names")
        values["rbl_zones"] = tuple(zones)
    if "auth_mode" in values:
        try:
            values["auth_mode"] = parse_auth_mode(str(values["auth_mode"]))
        except InvalidValue as exc:
            raise FieldError("auth_mode", str(exc)) from None
    try:
        return dataclasses.replace(base, **values) if base else SmtpdParams(**values)
    except TypeError as exc:
        raise FieldError("params", str(exc)) from None


@operation("mta.write_smtpd")
def write_smtpd(payload: Payload) -> dict[str, Any]:
    """Writes ROOTS.service/NAME/run for qmail-smtpd or qmail-submission from the template.

    Payload: {"service", "params": {only the settings to change}, "expect": sha256 or null,
    "replace_hand_edit": bool}; the other settings stay as the script has them.
    A script edited by hand (or not written by the panel) is only replaced when
    replace_hand_edit is true, i.e. after the admin has seen and confirmed it.
    Missing service directories (the alternate server) are created, with a ``down``
    file while qmail-smtpd is not installed.
    """
    service = require(payload, "service", str)
    if service not in mta_state.SMTPD_SERVICES:
        raise FieldError("service", f"{service!r} is not an SMTP service")
    changes_asked = require(payload, "params", dict)
    current = mta_state.script_state(service)
    params = params_from_dict(changes_asked, _base_params(service, current))
    try:
        validate_smtpd(params, settings.roots)
    except InvalidValue as exc:
        raise FieldError(_field_of(str(exc)), str(exc)) from None
    other = "qmail-submission" if service == "qmail-smtpd" else "qmail-smtpd"
    other_params = mta_state.script_state(other)["params"]
    if other_params and other_params["port"] == params.port and mta_state.script_state(other)["exists"]:
        raise FieldError("port", f"Port {params.port} is already used by {other}.")

    replace_confirmed = payload.get("replace_hand_edit") is True
    if current["exists"] and (current["hand_edited"] or not current["managed"]) and not replace_confirmed:
        raise HandEdited(
            f"The run script of {service} was edited by hand (or not written by this panel). "
            "Review it below and confirm to replace it."
        )
    expect = payload.get("expect", atomic.ANY)
    text = runscript.render_smtpd(params, settings.roots).encode()
    directory = _ensure_service(service)
    before = atomic.read_state(directory / "run")
    atomic.write_atomic(directory / "run", text, expect_sha256=expect, default_mode=0o755)
    changes = []
    if before.content != text:
        changes.append(
            {
                "target": f"service {service}/run",
                "action": "write",
                "before": _text(before.content if before.exists else None),
                "after": _text(text),
            }
        )
    return {"changes": changes, "state": mta_state.read_state()}


def _field_of(message: str) -> str:
    lowered = message.lower()
    for field, words in (("port", ("port",)), ("rbl_zones", ("rbl",)), ("auth_mode", ("auth", "tls"))):
        if any(word in lowered for word in words):
            return field
    return "params"


def _ensure_service(service: str) -> Path:
    """The service's directory, created (not yet started) under ROOTS.qmail/supervise if absent."""
    link = settings.roots.service_dir(service)
    if link.exists():
        return link
    directory = settings.roots.qmail / "supervise" / service
    (directory / "log").mkdir(parents=True, exist_ok=True)
    directory.chmod(0o1755)
    log_dir = settings.roots.log_dir(service.removeprefix("qmail-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    log_run = runscript.render_log(settings.roots, log_dir.name, settings.log_user).encode()
    atomic.write_atomic(directory / "log" / "run", log_run, default_mode=0o755)
    if not installed(service):
        for down in (directory / "down", directory / "log" / "down"):
            down.touch()
    link.symlink_to(directory)
    return link
