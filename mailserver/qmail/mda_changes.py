"""A change to an MDA server's memory or connection limit, validated for the form and the agent alike.

The page's form calls :func:`mda.check_field` per changed field (the error stands beside
it); the agent calls :func:`mda_request` on the payload it receives. Payload::

    {"service": "courier-imapd-ssl",
     "settings": {"memory_limit": 67108864, "connections": 20},   # only what changes
     "expect": {"run": sha256|null, "imapd": sha256|null, "imapd-ssl": sha256|null},
     "replace_hand_edit": false}

``expect`` holds what the admin saw of each file the change may write (the run script,
and for Courier its two files); a file changed meanwhile is refused, never overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import atomic
from .errors import FieldError
from .mda import FIELDS, check_field, server

EXPECTED_FILES = ("run", "imapd", "imapd-ssl")


@dataclass(frozen=True)
class MdaRequest:
    service: str
    memory_limit: int | None  # bytes; None: unchanged
    connections: int | None
    expect: dict[str, atomic.Expect]  # file key -> what the admin saw (missing key: not checked)
    replace_hand_edit: bool


def mda_request(payload: Mapping[str, Any]) -> MdaRequest:
    service = server(payload.get("service")).name
    changed = payload.get("settings")
    if not isinstance(changed, dict) or not changed:
        raise FieldError("settings", "settings is required: memory_limit and/or connections")
    values: dict[str, int] = {}
    for field, raw in changed.items():
        if field not in FIELDS:
            raise FieldError(str(field), f"{field!r} is not a setting of the MDA page")
        values[field] = check_field(service, field, raw)
    seen = payload.get("expect", {})
    if not isinstance(seen, dict) or not set(seen) <= set(EXPECTED_FILES):
        raise FieldError("expect", f"expect must be an object with keys among {', '.join(EXPECTED_FILES)}")
    expect = {key: atomic.expectation({"expect": value}, f"expect.{key}") for key, value in seen.items()}
    confirm = payload.get("replace_hand_edit", False)
    if not isinstance(confirm, bool):
        raise FieldError("replace_hand_edit", "replace_hand_edit must be true or false")
    return MdaRequest(service, values.get("memory_limit"), values.get("connections"), expect, confirm)


def kilobytes(memory_limit: int) -> int:
    """Courier's IMAP_ULIMITD for a limit in bytes, rounded up so it never falls below the floor."""
    return (memory_limit + 1023) // 1024
