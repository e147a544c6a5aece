"""Restore: write an earlier version of a control file or SMTP run script back.

The panel sends the version to restore (the ``before`` of a change it recorded) and
the sha256 of the version that change wrote (its ``after``). The file must still hold
exactly that version; a file changed since (by hand, or by a later save) is refused
and left alone, the same conflict check every MTA save makes. The content is judged
as a save of that file would judge it, so a restore can write nothing a save could not:

- a control file must be one the MTA page manages, and the content must pass that
  file's validator and be exactly what the panel writes for that value (no comments,
  no "20x", no stray spacing); an empty version means "no file", as an empty field
  does, and is refused for the files that must exist;
- a run script must be one the panel wrote (its marker, unedited, from the current
  template), run qmail-smtpd as the agent's own user with its own checkpassword and
  tcprules cdb, and pass validate_smtpd; anything else is refused with the reason.

Touches ROOTS.qmail/control/NAME and ROOTS.service/NAME/run, under the MTA's write lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailserver.protocol import Op
from mailserver.qmail import atomic, control, runscript
from mailserver.qmail.errors import Conflict, InvalidValue, QmailError
from mailserver.qmail.runparams import validate_smtpd

from . import mta_state
from .celeryapp import settings
from .operations import FieldError, Payload, operation, require
from .smtpd_ops import template_params
from .transaction import serialised

_RUN_SUFFIX = "/run"
# Settings a save never takes from a payload: the agent's own (see smtpd_changes.FORM_FIELDS).
_AGENT_OWN = ("user", "checkpassword", "tcprules_cdb")


@operation(Op.RESTORE_FILE)
def restore_file(payload: Payload) -> dict[str, Any]:
    """Payload: {"target": "control/NAME" or "service NAME/run",
    "content": the version to write back (None or "" = no file),
    "expect": sha256 the file must hold now, or None = it must be absent}.
    Answers {"changes": [{target, action "restore", before, after}]} (empty when the
    file already holds that version).
    """
    target = require(payload, "target", str)
    content = payload.get("content")
    if content is not None and not isinstance(content, str):
        raise FieldError("content", "content must be text or null")
    if "expect" not in payload:
        raise FieldError("expect", "expect is required: the sha256 of the version to replace, or null")
    expect = atomic.expectation(payload, "expect")
    if target.startswith("control/"):
        path, data = _control(target.removeprefix("control/"), content or None)
    elif target.startswith("service ") and target.endswith(_RUN_SUFFIX):
        path, data = _run_script(target.removeprefix("service ").removesuffix(_RUN_SUFFIX), content or None)
    else:
        raise FieldError("target", f"{target!r} is not a control file or run script the panel can restore")
    with serialised():
        changes = _write(target, path, data, expect)
    return {"changes": changes}


def _control(name: str, content: str | None) -> tuple[Path, bytes | None]:
    if name not in mta_state.MTA_CONTROLS:
        raise FieldError("target", f"control/{name} is not a control file the panel manages")
    spec = control.SPECS[name]
    if content is None:
        if not spec.removable:
            raise InvalidValue(
                f"That version of control/{name} is empty (no file), and {spec.label} cannot be left "
                f"empty: {spec.when_missing}"
            )
        return settings.roots.control(name), None
    try:
        value = control.validate(name, content, conf_spawn=settings.conf_spawn)
    except InvalidValue as exc:
        raise InvalidValue(f"That version of control/{name} is not valid: {exc}") from None
    data = control.render(name, value)
    if data != content.encode():
        raise InvalidValue(
            f"That version of control/{name} is not exactly what the panel writes (spacing, comments or "
            "line endings differ), so it cannot be restored as it was; edit it on the MTA page instead."
        )
    return settings.roots.control(name), data


def _run_script(service: str, content: str | None) -> tuple[Path, bytes]:
    if service not in mta_state.SMTPD_SERVICES:
        raise FieldError("target", f"{service!r} is not an SMTP service whose run script the panel writes")
    if content is None:
        raise InvalidValue(
            f"Before that change {service} had no run script (the change created the service); "
            "the panel does not remove services."
        )
    roots = settings.roots
    parsed = runscript.parse_smtpd(content, roots)
    if not parsed.managed or parsed.params is None:
        raise InvalidValue(
            f"That version of the {service} run script was not written by the panel, "
            "so the panel will not write it back; restore it by hand if you need it."
        )
    if parsed.outdated:
        raise InvalidValue(
            f"That version of the {service} run script comes from an older version of the panel's "
            "template; save the settings on the MTA page instead."
        )
    if parsed.hand_edited:
        raise InvalidValue(
            f"That version of the {service} run script had been edited by hand, "
            "so the panel will not write it back; restore it by hand if you need it."
        )
    own = template_params(service)
    for field in _AGENT_OWN:
        theirs, ours = getattr(parsed.params, field), getattr(own, field)
        if theirs != ours:
            raise InvalidValue(
                f"That version of the {service} run script sets {field} to {theirs!r}; "
                f"the agent writes only its own ({ours!r})."
            )
    params = validate_smtpd(parsed.params, roots)
    text = runscript.render_smtpd(params, roots)
    if text != content:  # parse_smtpd said as much; the write below relies on it
        raise InvalidValue(f"That version of the {service} run script is not what the panel writes.")
    other = next(s for s in mta_state.SMTPD_SERVICES if s != service)
    other_state = mta_state.script_state(other)
    if other_state["exists"] and other_state["params"] and other_state["params"]["port"] == params.port:
        raise FieldError("port", f"That version listens on port {params.port}, which {other} now uses.")
    run = roots.service_dir(service) / "run"
    if not run.parent.is_dir():
        raise QmailError(f"The service {service} no longer exists on this server; nothing was restored.")
    return run, text.encode()


def _write(target: str, path: Path, data: bytes | None, expect: atomic.Expect) -> list[dict[str, Any]]:
    changed_since = Conflict(
        f"{target} has changed since that change was made: it no longer holds the version the change "
        "wrote, so restoring would overwrite a later edit. Nothing was written."
    )
    before = atomic.read_state(path)
    if not atomic.still_as_seen(before, expect):
        raise changed_since
    if before.exists == (data is not None) and before.content == (data or b""):
        return []  # already this version: rewriting would only bump the mtime
    try:
        if data is None:
            atomic.remove(path, expect_sha256=expect)
        else:
            mode = 0o755 if target.endswith(_RUN_SUFFIX) else 0o644  # only for a file that is missing now
            atomic.write_atomic(path, data, expect_sha256=expect, default_mode=mode)
    except Conflict:
        if path.is_symlink():  # atomic's own refusal, with its own reason
            raise
        raise changed_since from None  # changed between the look above and the write
    return [
        {
            "target": target,
            "action": "restore",
            "before": before.content.decode("utf-8", "replace") if before.exists else "",
            "after": "" if data is None else data.decode("utf-8", "replace"),
        }
    ]
