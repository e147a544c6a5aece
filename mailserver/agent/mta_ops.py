"""MTA operations: read the whole MTA state, write control files, write an SMTP run script.

Every write re-validates its payload with the library validators the forms use,
checks that the file still holds what the admin saw (sha256), writes atomically,
and answers with before/after for the change log plus the state read back from disk.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mailserver.protocol import Op
from mailserver.qmail import atomic, control, doublebounce, runparams, runscript
from mailserver.qmail.errors import Conflict, InvalidValue, QmailError, UnreadableFile
from mailserver.qmail.runparams import SmtpdParams, validate_smtpd
from mailserver.qmail.serverfile import open_regular
from mailserver.qmail.smtpauth import SMTP_PORT, AuthMode, parse_auth_mode

from . import mta_state
from .celeryapp import settings
from .operations import FieldError, Payload, operation, require

# The settings the MTA page's forms send. The user tcpserver runs qmail-smtpd as, the
# checkpassword program and the tcprules cdb never come from a payload: they are the
# agent's own configuration (a payload naming "root" and /bin/true would be an open relay).
FORM_FIELDS = ("port", "auth_mode", "rbl_zones", "force_tls", "require_auth")
# The settings a new script keeps from the one on the server, each only if it passes its own check.
_INHERITED = ("port", "bind", "softlimit", "rbl_zones", "auth_mode", "require_auth", "force_tls")
# Write operations take this lock (outside every directory svscan or qmail scans), so two
# worker processes cannot both pass the sha256 check and lose one of the two changes.
LOCK_NAME = ".nodeworx-agent.lock"
_RULES = {"qmail-smtpd": "smtp", "qmail-submission": "submission"}  # service -> tcprules name
_DEFAULT_RULES = b":allow\n"  # tcpserver -x drops every connection while the cdb is missing
_TCPRULES_TIMEOUT = 10.0


class HandEdited(Conflict):
    """A file the admin has not confirmed replacing: its content is not what the panel writes."""

    kind = "hand_edit"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@operation(Op.MTA_READ_STATE)
def read_state(payload: Payload) -> dict[str, Any]:
    """Reads ROOTS.qmail/control/*, the SMTP run scripts and the services' status."""
    return mta_state.read_state()


def _text(data: bytes | None) -> str:
    return "" if data is None else data.decode("utf-8", "replace")


@contextlib.contextmanager
def _serialised() -> Iterator[None]:
    """Hold the agent's write lock: one check-and-write at a time across the worker's processes."""
    path = settings.roots.qmail / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        # Bounded, so the panel hears "busy" before its own call times out.
        deadline = time.monotonic() + settings.timeout / 2
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise QmailError(
                        "Another change to this mail server is still being saved; nothing was changed. "
                        "Try again in a moment."
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def _still_as_seen(before: atomic.FileState, expect: atomic.Expect) -> bool:
    """Whether ``before`` is what the caller saw (the check write_atomic makes)."""
    if isinstance(expect, str):
        return before.sha256 == expect.lower()
    if expect is None:
        return not before.exists
    return True  # ANY


def _expect_of(payload: Payload | dict[str, Any], field: str) -> atomic.Expect:
    if "expect" not in payload:
        return atomic.ANY  # no "expect": the caller does not know the file
    expect = payload["expect"]
    if expect is not None and not isinstance(expect, str):
        raise FieldError(field, "expect must be a sha256 or null")
    return expect


@operation(Op.MTA_WRITE_CONTROLS)
def write_controls(payload: Payload) -> dict[str, Any]:
    """Writes (or removes, to restore the default) ROOTS.qmail/control/NAME for each file given.

    Payload: {"files": {NAME: {"value": V or None, "expect": sha256 or None}},
              "replace_hand_edits": true|false (needed to rewrite a file qmail reads differently
              from what the panel would write, e.g. one with comments or "20x"),
              "double_bounce_discard": true|false (optional; writes ROOTS.qmail/alias/.qmail-<alias>)}.
    All values are validated before anything is written; if a write fails, the
    files already written are put back, so the change applies whole or not at all.
    A file that already holds exactly the new content is left alone (its mtime is
    what tells the page a service needs a restart).
    """
    with _serialised():
        changes = _write_controls(payload)
    return {"changes": changes, "state": mta_state.read_state()}


def _write_controls(payload: Payload) -> list[dict[str, Any]]:
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
        expect = _expect_of(item, name)
        path = settings.roots.control(name)
        try:
            current = atomic.read_state(path)
        except UnreadableFile as exc:  # a link, fifo or oversized file: never written through
            raise FieldError(name, str(exc)) from None
        if payload.get("replace_hand_edits") is not True:
            _refuse_hand_edit(name, current)
        planned.append((name, path, data, expect))

    discard = payload.get("double_bounce_discard")
    if discard is not None and not isinstance(discard, bool):
        raise FieldError("double_bounce_discard", "must be true or false")
    if discard:
        alias = settings.roots.alias(doublebounce.DISCARD_ALIAS)
        try:  # ~alias belongs to the alias user: a link or fifo there is refused, never followed
            atomic.read_state(alias)
        except UnreadableFile as exc:
            raise FieldError("double_bounce_discard", str(exc)) from None
        planned.append(("alias", alias, doublebounce.DISCARD_CONTENT, atomic.ANY))

    changes: list[dict[str, Any]] = []
    undo: list[tuple[Path, atomic.FileState]] = []
    name = ""
    try:
        for planned_name, path, data, expect in planned:
            name = planned_name
            before = atomic.read_state(path)
            if before.content == (data or b"") and before.exists == (data is not None):
                # Same bytes (e.g. "MAIL.example.test" normalised): rewriting would only bump
                # the mtime and flag a restart for nothing. The caller's view still must hold.
                if not _still_as_seen(before, expect):
                    raise Conflict(f"{path.name} was changed on the server since you opened this page.")
                continue
            if data is None:
                atomic.remove(path, expect_sha256=expect)
            else:
                atomic.write_atomic(path, data, expect_sha256=expect)
            undo.append((path, before))
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
    return changes


def _refuse_hand_edit(name: str, current: atomic.FileState) -> None:
    if not current.exists:
        return
    seen = control.read_value(name, current.content, conf_spawn=settings.conf_spawn)
    if not seen.canonical:
        raise HandEdited(f"control/{name} was edited by hand: {seen.note} Confirm to replace it.", name)


def _undo(done: list[tuple[Path, atomic.FileState]]) -> None:
    for path, before in reversed(done):
        with contextlib.suppress(OSError, QmailError):
            if before.exists:
                # A removed file comes back with the mode and owner it had, not as root 0644.
                owner = None if before.uid is None or before.gid is None else (before.uid, before.gid)
                mode = 0o644 if before.mode is None else before.mode
                atomic.write_atomic(path, before.content, default_mode=mode, default_owner=owner)
            else:
                atomic.remove(path)


# --- SMTP run scripts -----------------------------------------------------------------------


def _check_bind(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"Bind address {value!r} is not an IPv4 address.")
    return runparams.check_bind(value)


def _check_rbl_zones(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(z, str) for z in value):
        raise InvalidValue("rbl_zones must be a list of zone names")
    return runparams.check_rbl_zones(tuple(value))


def _check_auth_mode(value: Any) -> AuthMode:
    if not isinstance(value, str):
        raise InvalidValue(f"Unknown authentication mode {value!r}.")
    return parse_auth_mode(value)


def _check_flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(f"{value!r} is not true or false.")
    return value


def _check_path(what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        return runparams.check_path(str(value), what)

    return check


# Each setting's own check (runparams.check_*), returning the value to use.
_CHECKS: dict[str, Callable[[Any], Any]] = {
    "port": runparams.check_port,
    "bind": _check_bind,
    "softlimit": runparams.check_softlimit,
    "user": lambda value: runparams.check_user(str(value)),
    "tcprules_cdb": _check_path("tcprules database"),
    "rbl_zones": _check_rbl_zones,
    "auth_mode": _check_auth_mode,
    "require_auth": _check_flag,
    "force_tls": _check_flag,
    "checkpassword": _check_path("Checkpassword program"),
}


def _template_params(service: str) -> SmtpdParams:
    """The template's defaults for ``service``, with the identities the agent is configured with."""
    roots = settings.roots
    base = SmtpdParams.primary(roots) if service == "qmail-smtpd" else SmtpdParams.submission(roots)
    return dataclasses.replace(
        base,
        tcprules_cdb=str(roots.rules(_RULES[service])[1]),
        user=settings.smtpd_user,
        checkpassword=settings.checkpassword,
    )


def _base_params(service: str, current: dict[str, Any]) -> tuple[SmtpdParams, list[str]]:
    """The settings to start from, and the ones reset to the template's default.

    A setting is kept from the script on the server (ours, hand-edited or not ours at
    all) only when it passes its own check; a value the page has no field for (a
    "Life with qmail" ``softlimit -m 2000000``, say) would otherwise block every save.
    """
    template = _template_params(service)
    seen = current["params"]
    if not seen:  # no script, or one whose exec line could not be read: all defaults
        return template, list(_INHERITED) if current["exists"] else []
    guessed = set(current["guessed"])  # not in the script: shown as defaults, reset for real
    kept: dict[str, Any] = {}
    reset = []
    for field in _INHERITED:
        try:
            if field in guessed:
                raise InvalidValue(f"{field} is not set in the script")
            kept[field] = _CHECKS[field](seen[field])
        except InvalidValue:
            reset.append(field)
    return dataclasses.replace(template, **kept), reset


def params_from_dict(data: dict[str, Any], base: SmtpdParams) -> SmtpdParams:
    """``base`` with the settings a form sent (FORM_FIELDS only), each checked on its own."""
    refused = sorted(set(data) - set(FORM_FIELDS))
    if refused:
        raise FieldError(
            "params",
            f"The run-script settings {refused} cannot be set through the panel; "
            f"only {', '.join(FORM_FIELDS)} can.",
        )
    values = {}
    for field, value in data.items():
        try:
            values[field] = _CHECKS[field](value)
        except InvalidValue as exc:
            raise FieldError(field, str(exc)) from None
    return dataclasses.replace(base, **values)


def _validated(params: SmtpdParams) -> SmtpdParams:
    """validate_smtpd, with the error attributed to the field it is about."""
    try:
        return validate_smtpd(params, settings.roots)
    except InvalidValue as exc:
        raise FieldError(_field_of(params), str(exc)) from None


def _field_of(params: SmtpdParams) -> str:
    """The setting validate_smtpd refused: the first that fails its own check, else the combination."""
    for field, check in _CHECKS.items():
        try:
            check(getattr(params, field))
        except InvalidValue:
            return field
    if params.port == SMTP_PORT and params.require_auth:
        return "require_auth"
    if params.port == SMTP_PORT and params.force_tls:
        return "force_tls"
    if params.rbl_zones and params.require_auth:
        return "rbl_zones"
    mode = AuthMode(params.auth_mode)
    if (params.require_auth and not mode.offers_auth) or (params.force_tls and not mode.offers_tls):
        return "auth_mode"
    return "params"


@operation(Op.MTA_WRITE_SMTPD)
def write_smtpd(payload: Payload) -> dict[str, Any]:
    """Writes ROOTS.service/NAME/run for qmail-smtpd or qmail-submission from the template.

    Payload: {"service", "params": {only the settings to change, among FORM_FIELDS},
    "expect": sha256 or null, "replace_hand_edit": bool}; the other settings stay as the
    script has them when valid (the answer's "reset" lists those put back to the template's
    default), except the smtpd user, checkpassword and tcprules cdb, which are always the
    agent's own. A script edited by hand (or not written by the panel) is only replaced when
    replace_hand_edit is true, i.e. after the admin has seen and confirmed it.
    A missing service (the alternate server) is created stopped, with ``down`` files.
    """
    service = require(payload, "service", str)
    if service not in mta_state.SMTPD_SERVICES:
        raise FieldError("service", f"{service!r} is not an SMTP service")
    changes_asked = require(payload, "params", dict)
    expect = _expect_of(payload, "expect")
    confirmed = payload.get("replace_hand_edit") is True
    with _serialised():
        changes, reset = _write_smtpd(service, changes_asked, expect, confirmed)
    return {"changes": changes, "reset": reset, "state": mta_state.read_state()}


def _write_smtpd(
    service: str, changes_asked: dict[str, Any], expect: atomic.Expect, replace_confirmed: bool
) -> tuple[list[dict[str, Any]], list[str]]:
    current = mta_state.script_state(service)
    if current["problem"]:  # a link, fifo or oversized file: never written through
        raise FieldError("service", current["problem"])
    base, reset = _base_params(service, current)
    params = _validated(params_from_dict(changes_asked, base))
    reset = [field for field in reset if field not in changes_asked]
    other = "qmail-submission" if service == "qmail-smtpd" else "qmail-smtpd"
    other_state = mta_state.script_state(other)
    if other_state["exists"] and other_state["params"] and other_state["params"]["port"] == params.port:
        raise FieldError("port", f"Port {params.port} is already used by {other}.")

    if current["exists"] and (current["hand_edited"] or not current["managed"]) and not replace_confirmed:
        raise HandEdited(
            f"The run script of {service} was edited by hand (or not written by this panel). "
            "Review it below and confirm to replace it."
        )
    text = runscript.render_smtpd(params, settings.roots).encode()
    link = settings.roots.service_dir(service)
    changes = []
    if link.exists():
        run = link / "run"
        before = atomic.read_state(run)
        if before.exists and before.content == text:
            if not _still_as_seen(before, expect):
                raise Conflict("run was changed on the server since you opened this page; reload it.")
            return [], reset
        atomic.write_atomic(run, text, expect_sha256=expect, default_mode=0o755)
    else:
        before = atomic.MISSING
        _create_service(service, text, expect)
        changes.append(
            {"target": f"service {service}", "action": "create", "before": "", "after": "created, stopped\n"}
        )
    changes.append(
        {
            "target": f"service {service}/run",
            "action": "write",
            "before": _text(before.content if before.exists else None),
            "after": _text(text),
        }
    )
    return changes, reset


def _create_service(service: str, run: bytes, expect: atomic.Expect) -> None:
    """Create ROOTS.qmail/supervise/NAME, stopped, and link it into ROOTS.service last.

    svscan starts supervise for whatever appears in its directory, so the link comes
    only once run, log/run, the ``down`` files (the page promises the new service
    starts stopped), a log directory multilog can write and the tcprules cdb
    tcpserver -x needs all exist. If a step fails, what was created is removed again.
    """
    roots = settings.roots
    link = roots.service_dir(service)
    if link.is_symlink():
        raise QmailError(f"{link} points to a missing directory; remove or fix the link by hand.")
    directory = roots.qmail / "supervise" / service
    if directory.exists() or directory.is_symlink():
        raise QmailError(
            f"{directory} exists but is not linked into {roots.service}; link or remove it by hand."
        )
    created: list[Path] = []
    try:
        supervise = directory.parent
        if not supervise.is_dir():
            supervise.mkdir(mode=0o755)
            created.append(supervise)
        directory.mkdir(mode=0o755)
        created.append(directory)
        directory.chmod(0o1755)
        (directory / "log").mkdir(mode=0o755)
        for down in (directory / "down", directory / "log" / "down"):
            down.touch(mode=0o644)
        atomic.write_atomic(directory / "run", run, expect_sha256=expect, default_mode=0o755)
        log_dir = roots.log_dir(service.removeprefix("qmail-"))
        log_run = runscript.render_log(roots, log_dir.name, settings.log_user).encode()
        atomic.write_atomic(directory / "log" / "run", log_run, default_mode=0o755)
        try:
            log_dir.mkdir(mode=0o755)
            created.append(log_dir)
        except FileExistsError:
            pass  # whatever is there is checked, never followed, before it is given away
        _give_to_log_user(log_dir, new=log_dir in created)
        created += _ensure_rules(_RULES[service])
        link.symlink_to(directory)
    except BaseException:
        for path in reversed(created):
            with contextlib.suppress(OSError):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        raise


def _give_to_log_user(directory: Path, *, new: bool) -> None:
    """multilog runs as the log user (setuidgid in log/run): it must own its directory.

    The log root may belong to the log user, who could put a link to any directory
    there: the directory is opened without following links and changed through that
    descriptor, so only the real directory is ever given away (a new one, or root's).
    """
    try:
        entry = pwd.getpwnam(settings.log_user)
    except KeyError:
        return  # no such user here; log/run will say so when it starts
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        what = "a symbolic link" if directory.is_symlink() else "not a directory"
        raise QmailError(
            f"{directory} is {what}; the panel will not give it to {settings.log_user}. "
            "Replace it with a directory by hand."
        ) from None
    try:
        if (new or os.fstat(fd).st_uid == 0) and os.geteuid() == 0:  # root's: multilog could not write it
            os.fchown(fd, entry.pw_uid, entry.pw_gid)
    finally:
        os.close(fd)


def _ensure_rules(name: str) -> list[Path]:
    """The tcprules source (``:allow`` when absent) and its cdb; returns the files created."""
    source, cdb = settings.roots.rules(name)
    created: list[Path] = []
    if cdb.exists():
        return created
    if not source.exists():
        atomic.write_atomic(source, _DEFAULT_RULES, expect_sha256=None, default_mode=0o644)
        created.append(source)
    _compile_rules(source, cdb)
    created.append(cdb)
    return created


def _compile_rules(source: Path, cdb: Path) -> None:
    """tcprules CDB TMP < SOURCE: tcprules writes TMP and renames it over CDB itself."""
    tcprules = settings.roots.program("tcprules")
    tmp = atomic.temp_path(cdb)  # named like atomic's, so remove_stale_temps knows it
    try:
        rules, _ = open_regular(source)  # not through a link, not a fifo that would hang tcprules
        try:
            done = subprocess.run(
                [str(tcprules), str(cdb), str(tmp)],
                stdin=rules,
                capture_output=True,
                timeout=_TCPRULES_TIMEOUT,
                env={"PATH": "/usr/bin:/bin"},
                check=False,
            )
        finally:
            os.close(rules)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise QmailError(f"{tcprules} could not compile {source}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise QmailError(f"{tcprules} could not compile {source}: {why}")
