"""The virus databases clamd loads, read from the files themselves: nothing is run.

Each official database (main, daily, bytecode) is one ``.cvd`` (signed, compressed, as
downloaded), ``.cld`` (freshclam's uncompressed copy after an incremental update) or
``.cud`` (unsigned, built with ``sigtool --unsigned``) file that starts with a 512-byte
header, padded with blanks::

    ClamAV-VDB:01 Dec 2026 16-19 +0000:27500:1:216:bdc2529a…:X:builder:1796141959
               build time             version sigs f-level md5 dsig builder build time (unix)

That header is what ``sigtool --info`` prints. Other files in the directory are local
("unofficial") signatures, one per line, which clamd loads too; the offline test server's
one-line ``test.hdb`` is such a file.
"""

from __future__ import annotations

import calendar
import os
import time
from dataclasses import dataclass
from pathlib import Path

from mailserver.qmail.errors import QmailError
from mailserver.qmail.serverfile import open_regular

OFFICIAL = ("main", "daily", "bytecode")
CONTAINERS = (".cld", ".cvd", ".cud")
HEADER_SIZE = 512
# Signature files clamd loads besides the containers (ClamAV's "signatures" manual).
LOCAL_KINDS = frozenset(
    {".hdb", ".hsb", ".hdu", ".hsu", ".mdb", ".msb", ".mdu", ".msu", ".ndb", ".ndu", ".ldb", ".ldu",
     ".cdb", ".idb", ".pdb", ".gdb", ".wdb", ".yar", ".yara", ".imp"}
)  # fmt: skip
_LOCAL_LIMIT = 64 * 1024 * 1024  # counting lines of a bigger file is not worth a page load


class BadHeader(ValueError):
    """The file does not start with a ClamAV-VDB header."""


@dataclass(frozen=True)
class DatabaseInfo:
    name: str  # main, daily, bytecode
    file: str  # daily.cld
    version: int
    signatures: int
    built: float | None  # unix time of the build
    build_time: str  # as the header writes it: "01 Dec 2026 16-19 +0000"
    functionality_level: int | None
    builder: str
    signed: bool  # .cvd/.cld carry a digital signature; .cud does not


def parse_header(raw: bytes, name: str = "", file: str = "") -> DatabaseInfo:
    text = raw[:HEADER_SIZE].decode("ascii", "replace").rstrip(" \0")
    fields = text.split(":")
    if len(fields) < 8 or fields[0] != "ClamAV-VDB":
        raise BadHeader(f"{file or 'the file'} has no ClamAV-VDB header")
    build_time, version, sigs, flevel = fields[1], fields[2], fields[3], fields[4]
    try:
        number, count = int(version), int(sigs)
    except ValueError:
        raise BadHeader(f"{file}: version {version!r} or signature count {sigs!r} is not a number") from None
    return DatabaseInfo(
        name=name,
        file=file,
        version=number,
        signatures=count,
        built=_built(fields[8] if len(fields) > 8 else "", build_time),
        build_time=build_time,
        functionality_level=int(flevel) if flevel.isdigit() else None,
        builder=fields[7],
        signed=fields[6] not in ("", "X"),
    )


def _built(stime: str, build_time: str) -> float | None:
    if stime.strip().isdigit():
        return float(stime.strip())
    try:  # "01 Dec 2026 16-19 +0000": only +0000 is ever written
        return float(calendar.timegm(time.strptime(build_time.rsplit(" ", 1)[0], "%d %b %Y %H-%M")))
    except ValueError:
        return None


def read_header(path: Path, name: str = "") -> DatabaseInfo:
    fd, _ = open_regular(path)
    try:
        raw = os.pread(fd, HEADER_SIZE, 0)
    finally:
        os.close(fd)
    return parse_header(raw, name, path.name)


@dataclass(frozen=True)
class LocalSignatures:
    file: str
    signatures: int | None  # None: too big to count on a page load


@dataclass(frozen=True)
class Databases:
    directory: Path
    exists: bool
    official: dict[str, DatabaseInfo | None]  # every name of OFFICIAL; None when absent
    problems: dict[str, str]  # name -> why its file could not be read
    local: tuple[LocalSignatures, ...]

    @property
    def any_loaded(self) -> bool:
        """Whether clamd finds anything to load: with nothing it refuses to start."""
        return any(self.official.values()) or bool(self.local)


def _count_lines(path: Path) -> int | None:
    fd, st = open_regular(path)
    try:
        if st.st_size > _LOCAL_LIMIT:
            return None
        count, offset = 0, 0
        while chunk := os.pread(fd, 1 << 20, offset):
            count += sum(1 for line in chunk.split(b"\n") if line.strip() and not line.startswith(b"#"))
            offset += len(chunk)
        return count
    finally:
        os.close(fd)


def read_databases(directory: Path) -> Databases:
    if not directory.is_dir():
        return Databases(directory, False, dict.fromkeys(OFFICIAL), {}, ())
    official: dict[str, DatabaseInfo | None] = {}
    problems: dict[str, str] = {}
    for name in OFFICIAL:
        found: list[DatabaseInfo] = []
        for suffix in CONTAINERS:
            path = directory / f"{name}{suffix}"
            if not path.exists():
                continue
            try:
                found.append(read_header(path, name))
            except (OSError, ValueError, QmailError) as exc:
                problems[name] = str(exc)
        official[name] = max(found, key=lambda info: info.version) if found else None
    local = []
    for path in sorted(directory.iterdir()):
        if path.suffix in LOCAL_KINDS and path.is_file() and not path.is_symlink():
            try:
                local.append(LocalSignatures(path.name, _count_lines(path)))
            except (OSError, QmailError):
                local.append(LocalSignatures(path.name, None))
    return Databases(directory, True, official, problems, tuple(local))
