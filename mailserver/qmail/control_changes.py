"""A change to control files, validated once for the form and again by the agent, with the same rules.

The page's form calls :func:`file_change` for every field the admin changed, so the
error stands beside that field; the agent calls :func:`controls_request` on the
payload it receives, because it trusts no payload. Both judge with the host's own
facts (:class:`HostContext`: conf-spawn caps concurrencyremote), which the page
learns from the agent's state, so the page never accepts what the agent refuses
or refuses what it accepts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from . import atomic, control
from .errors import FieldError, InvalidValue


@dataclass(frozen=True)
class HostContext:
    """What validation needs to know about the mail host it is for."""

    conf_spawn: int = control.CONF_SPAWN
    # Ports the SMTP services listen on now, by service: a port can serve only one of them.
    smtp_ports: Mapping[str, int] | None = None

    def port_taken(self, port: int, by_other_than: str) -> str | None:
        """The other service listening on ``port``, if any."""
        for service, used in (self.smtp_ports or {}).items():
            if service != by_other_than and used == port:
                return service
        return None


@dataclass(frozen=True)
class FileChange:
    name: str
    data: bytes | None  # the exact bytes to write; None removes the file (qmail's default)
    expect: atomic.Expect  # the sha256 the admin saw, None (saw no file) or atomic.ANY


@dataclass(frozen=True)
class ControlsRequest:
    files: tuple[FileChange, ...]
    replace_hand_edits: bool = False
    double_bounce_discard: bool = False


def file_change(name: str, raw: object, context: HostContext) -> bytes | None:
    """The bytes to write for ``raw`` as typed in ``name``'s field (None: remove the file).

    Raises FieldError(name) with the reason qmail would misread or refuse it.
    """
    spec = control.SPECS[name]
    if raw is None or raw == "":
        if not spec.removable:
            raise FieldError(name, f"{spec.label} cannot be left empty: {spec.when_missing}")
        return None
    try:
        return control.render(name, control.validate(name, raw, conf_spawn=context.conf_spawn))
    except FieldError:
        raise
    except InvalidValue as exc:
        raise FieldError(name, str(exc)) from None


def controls_request(
    payload: Mapping[str, Any], context: HostContext, managed: Collection[str]
) -> ControlsRequest:
    """The agent's reading of a write_controls payload; every file checked before any is written."""
    files = payload.get("files")
    if not isinstance(files, dict):
        raise FieldError("files", "files is required (an object of control file names)")
    changes = []
    for name, item in files.items():
        if name not in managed or not isinstance(item, dict):
            raise FieldError(str(name), f"{name!r} is not a control file this page manages")
        changes.append(
            FileChange(name, file_change(name, item.get("value"), context), atomic.expectation(item, name))
        )
    flags = {}
    for flag in ("replace_hand_edits", "double_bounce_discard"):
        value = payload.get(flag, False)
        if not isinstance(value, bool):
            raise FieldError(flag, f"{flag} must be true or false")
        flags[flag] = value
    return ControlsRequest(tuple(changes), **flags)
