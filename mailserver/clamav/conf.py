"""clamd.conf and freshclam.conf, read as ClamAV reads them.

One option per line, ``Name value``, names case-sensitive, ``#`` comments; a repeated
option keeps its last value, except the ones ClamAV collects (``DatabaseMirror``). A line
``Example`` left in from the sample file makes clamd and freshclam refuse to start: the
panel says so rather than offering a Start that cannot work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mailserver.qmail.hostpath import on_host, system_path
from mailserver.qmail.paths import Roots
from mailserver.qmail.serverfile import read_optional

CLAMD_CONF = "etc/clamav/clamd.conf"  # Debian's; also where pyclamd looks by default
FRESHCLAM_CONF = "etc/clamav/freshclam.conf"
DEFAULT_DATABASE_DIR = "/var/lib/clamav"


@dataclass(frozen=True)
class ClamConf:
    path: Path
    exists: bool
    options: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.options.get(name)
        return values[-1] if values else default

    def all(self, name: str) -> list[str]:
        return list(self.options.get(name, []))

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        if value is None:
            return default
        return value.lower() in ("yes", "true", "1")

    @property
    def example(self) -> bool:
        """The sample file's ``Example`` line is still there: ClamAV refuses to start."""
        return "Example" in self.options


def parse(text: str, path: Path) -> ClamConf:
    options: dict[str, list[str]] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, _, value = stripped.partition(" ")
        options.setdefault(name, []).append(value.strip().strip('"'))
    return ClamConf(path, True, options)


def read(path: Path) -> ClamConf:
    data = read_optional(path)
    if data is None:
        return ClamConf(path, False)
    return parse(data.decode("utf-8", "replace"), path)


def clamd_conf(roots: Roots) -> ClamConf:
    return read(system_path(roots, CLAMD_CONF))


def freshclam_conf(roots: Roots) -> ClamConf:
    return read(system_path(roots, FRESHCLAM_CONF))


def database_dir(roots: Roots, conf: ClamConf) -> Path:
    """Where clamd loads its databases from (freshclam must write the same directory)."""
    return on_host(roots, conf.get("DatabaseDirectory", DEFAULT_DATABASE_DIR) or DEFAULT_DATABASE_DIR)
