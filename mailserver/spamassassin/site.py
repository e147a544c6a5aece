"""Where SpamAssassin's site configuration lives on the host, and what else in it sets the page's values.

Debian keeps it in ``/etc/spamassassin``, upstream and RHEL in ``/etc/mail/spamassassin``.
SpamAssassin reads the ``*.pre`` files, then the ``*.cf`` files in name order, and for a
single-valued setting the last line read wins: a ``zz-local.cf`` saying ``required_score 8``
beats the 5 in ``local.cf``, whatever the page shows. :func:`overrides` finds such lines so
the page can say so instead of showing a threshold spamd does not use.
"""

from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mailserver.qmail.hostpath import system_path
from mailserver.qmail.paths import Roots
from mailserver.qmail.serverfile import read_optional

from .settings import AUTO_WHITELIST_NAMES, MANAGED, SCORE_NAMES, directive_of

LOCATIONS = ("etc/spamassassin", "etc/mail/spamassassin")
_SINGLE = frozenset(
    {*SCORE_NAMES, "rewrite_header", "report_safe", *AUTO_WHITELIST_NAMES, "bayes_auto_learn", "bayes_path"}
)


def site_dir(roots: Roots) -> Path:
    """The site directory that exists (Debian's first); Debian's when neither does."""
    for relative in LOCATIONS:
        path = system_path(roots, relative)
        if path.is_dir():
            return path
    return system_path(roots, LOCATIONS[0])


@dataclass(frozen=True)
class Override:
    file: str
    line: int
    field: str
    text: str

    def describe(self) -> str:
        return f"{self.file} line {self.line} also sets it: {self.text}"


def _settings_lines(path: Path) -> list[tuple[int, str, str]]:
    """(line number, field, line) of each line of a ``*.cf`` file that sets a field of the page."""
    data = read_optional(path) or b""
    found = []
    for number, line in enumerate(data.decode("utf-8", "replace").split("\n"), start=1):
        name = directive_of(line)
        if name is None or name not in MANAGED:
            continue
        if name == "rewrite_header" and not re.match(r"\s*\S+\s+subject\b", line, re.IGNORECASE):
            continue
        found.append((number, name, line))
    return found


def overrides(site: Path) -> list[Override]:
    """Lines of other ``*.cf`` files that set a field of the page.

    A single-valued setting in a file read after ``local.cf`` wins over the page, and one in a
    file read before it holds while ``local.cf`` does not set it (no local.cf yet: the page shows
    SpamAssassin's default); list entries anywhere add to the page's lists. All are what the page
    must point out.
    """
    local = site / "local.cf"
    in_local = (
        {MANAGED[name] for _, name, _ in _settings_lines(local) if name in _SINGLE}
        if local.is_file()
        else set()
    )
    found = []
    for path in sorted(site.glob("*.cf")):
        if path.name == "local.cf" or not path.is_file():
            continue
        after = path.name > "local.cf"
        for number, name, line in _settings_lines(path):
            if name in _SINGLE and not after and MANAGED[name] in in_local:
                continue  # local.cf, read later, sets it too and wins
            found.append(Override(path.name, number, MANAGED[name], line.strip()))
    return found


@functools.lru_cache(maxsize=4)
def version(spamassassin: Path) -> str | None:
    """``SpamAssassin version 4.0.1`` → ``4.0.1``; asked once per agent process."""
    try:
        done = subprocess.run(
            [str(spamassassin), "--version"],
            capture_output=True, text=True, timeout=30, check=False,
            env={"PATH": "/usr/bin:/bin", "LANG": "C"},
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"SpamAssassin version ([0-9][0-9A-Za-z.+~-]*)", done.stdout)
    return found[1] if found else None
