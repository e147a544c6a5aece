"""Run scripts of the other daemons the panel supervises, in the same sealed form as qmail-smtpd's.

spamd, clamd, freshclam, qmail-pop3d and Courier's imapd get run scripts written the way
:mod:`.runscript` writes qmail-smtpd's: ``#!/bin/sh``, a ``# nodeworx-managed: NAME.run vN``
marker, a header of ``NAME=value`` settings sealed by a digest, then fixed text. Their
templates live beside the package that knows the daemon (``mailserver/spamassassin/templates``,
``mailserver/clamav/templates``, ``mailserver/qmail/templates``); this module renders one and
reads one back. Whether a script on the server is the panel's, untouched, is decided the same
way for all of them: render its header again and compare the whole text.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .runparams import check_path
from .runscript import read_header, read_marker, sh_quote


class _Template(string.Template):
    delimiter = "@@"


@cache
def template_text(package: str, name: str) -> str:
    return resources.files(package).joinpath("templates", f"{name}.run").read_text(encoding="utf-8")


def template_version(package: str, name: str) -> int:
    marker = read_marker(template_text(package, name))
    if marker is None or marker[0] != name:  # our own file: only a broken install gets here
        raise RuntimeError(f"template {package}/{name}.run has no nodeworx-managed marker for {name}")
    return marker[1]


def render(
    package: str,
    name: str,
    header: Sequence[tuple[str, str]],
    paths: Mapping[str, str],
    **parts: str,
) -> str:
    """Template ``name`` of ``package`` with ``header`` sealed in.

    ``paths`` are pasted into fixed text unquoted, so each must be a plain absolute path;
    ``parts`` are pieces of fixed text the caller composed itself.
    """
    fixed = {key: check_path(value, "Directory") for key, value in paths.items()}
    lines = "\n".join(f"{key}={sh_quote(value)}" for key, value in header)
    seal = hashlib.sha256(lines.encode()).hexdigest()[:16]  # a tamper hint, not security
    return _Template(template_text(package, name)).substitute(fixed, header=lines, seal=seal, **parts)


@dataclass(frozen=True)
class Sealed:
    """What the first lines of a run script say about who wrote it."""

    template: str | None  # the marker's template name; None: not written by the panel
    version: int | None
    header: dict[str, str]

    @property
    def managed(self) -> bool:
        return self.template is not None


def read(text: str) -> Sealed:
    marker = read_marker(text)
    if marker is None:
        return Sealed(None, None, {})
    return Sealed(marker[0], marker[1], read_header(text))
