"""The hidden ``seen`` field of a box: what the admin saw when the page was read.

It comes back from the browser, so it is checked like any input: a value that is not the JSON
the page wrote (not JSON, wrong types, unknown files, nested garbage) means the page was out of
date or damaged. The save is then refused with a message, never answered with a server error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

STALE = (
    "This box could not tell what you saw on the server: the page was out of date or damaged. "
    "Nothing was saved; reload the page to see what the server holds now, then make your change again."
)


def changed_meanwhile(now: object) -> str:
    """Beside a field after a conflict: its file changed on the server since the page was read."""
    return (
        f"Changed on the server while you edited; it now holds: {now}. "
        "Save again to replace it with your value."
    )


_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_SCALARS = (str, int, bool, type(None))


class Malformed(ValueError):
    pass


def loads(raw: str) -> Any:
    """JSON, or Malformed (deep nesting raises RecursionError in json, not ValueError)."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise Malformed("not JSON") from None


def _sha(value: Any) -> bool:
    return value is None or (isinstance(value, str) and _SHA256.fullmatch(value) is not None)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def positive_int(value: Any) -> bool:
    return _is_int(value) and value >= 1


def boolean(value: Any) -> bool:
    return isinstance(value, bool)


MetaChecks = Mapping[str, Callable[[Any], bool]]


def _check_meta(meta: Any, checks: MetaChecks) -> None:
    """``_meta``: facts about the server the page was built from, each key the box knows, well typed."""
    if not isinstance(meta, dict) or not set(meta) <= set(checks):
        raise Malformed("_meta")
    for key, value in meta.items():
        if not checks[key](value):
            raise Malformed(f"_meta.{key}")


def control_files(raw: str, controls: tuple[str, ...], meta: MetaChecks) -> dict[str, Any]:
    """``{NAME: {"value": str, "sha256": hex or null}, …, "_meta": {…}}`` for a box of control files.

    Files may be missing (not seen: the agent then expects no file); other keys may not.
    """
    data = loads(raw)
    if not isinstance(data, dict) or not set(data) <= {*controls, "_meta"}:
        raise Malformed("not this box's files")
    for name, item in data.items():
        if name == "_meta":
            _check_meta(item, meta)
        elif not (
            isinstance(item, dict)
            and set(item) == {"value", "sha256"}
            and isinstance(item["value"], str)
            and _sha(item["sha256"])
        ):
            raise Malformed(name)
    return data


def run_script(raw: str) -> dict[str, Any]:
    """``{"sha256": hex or null, "values": {field: scalar}}`` for a box kept in a run script."""
    data = loads(raw)
    if not isinstance(data, dict) or not set(data) <= {"sha256", "values"}:
        raise Malformed("not a run script's")
    if not _sha(data.get("sha256")):
        raise Malformed("sha256")
    values = data.get("values", {})
    if not isinstance(values, dict) or not all(isinstance(v, _SCALARS) for v in values.values()):
        raise Malformed("values")
    return data
