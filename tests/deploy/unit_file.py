"""Read a systemd unit's [Service] settings the way systemd combines repeated lines."""

from __future__ import annotations

import shlex
from pathlib import Path

# Settings whose repeated lines add up (an empty assignment resets the list).
_LISTS = {
    "ReadWritePaths", "ReadOnlyPaths", "InaccessiblePaths", "CapabilityBoundingSet",
    "RestrictAddressFamilies", "SystemCallFilter", "Environment", "ExecStartPre",
    "StateDirectory", "CacheDirectory",
}  # fmt: skip


def service_settings(path: Path) -> dict[str, list[str]]:
    """Each [Service] key with its values: list settings split into words, others as one string."""
    settings: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section != "[Service]":
            continue
        key, _, value = line.partition("=")
        if key in _LISTS:
            words = shlex.split(value) if key not in {"ExecStartPre"} else [value]
            settings[key] = [*settings.get(key, []), *words] if value else []
        else:
            settings[key] = [value]
    return settings


def capabilities(settings: dict[str, list[str]]) -> list[str]:
    """CapabilityBoundingSet as setpriv names: CAP_CHOWN -> chown."""
    return [cap.removeprefix("CAP_").lower() for cap in settings.get("CapabilityBoundingSet", [])]


def environment(settings: dict[str, list[str]]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in settings.get("Environment", []))


def writable(settings: dict[str, list[str]]) -> list[Path]:
    """Every path the service may write: ReadWritePaths, /var/lib/STATE, /var/cache/CACHE."""
    paths = [Path(p.lstrip("-")) for p in settings.get("ReadWritePaths", [])]
    paths += [Path("/var/lib") / name for name in settings.get("StateDirectory", [])]
    paths += [Path("/var/cache") / name for name in settings.get("CacheDirectory", [])]
    return paths


def read_only(settings: dict[str, list[str]]) -> list[Path]:
    """ReadOnlyPaths: inside a writable path, these stay read-only (the deeper path wins)."""
    return [Path(p.lstrip("-")) for p in settings.get("ReadOnlyPaths", [])]


def optional(settings: dict[str, list[str]], key: str) -> set[Path]:
    """The paths of ``key`` written with "-": systemd skips them when they are missing."""
    return {Path(p[1:]) for p in settings.get(key, []) if p.startswith("-")}


def may_write(settings: dict[str, list[str]], path: Path) -> bool:
    """Whether the unit lets ``path`` be written: the deepest of its paths holding it decides,
    as systemd applies the deeper mount last; ProtectSystem=strict makes everything else read-only."""
    holders = [(len(p.parts), 0) for p in writable(settings) if p == path or p in path.parents]
    holders += [(len(p.parts), 1) for p in read_only(settings) if p == path or p in path.parents]
    return bool(holders) and max(holders)[1] == 0  # on the same path, read-only wins
