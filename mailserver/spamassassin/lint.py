"""``spamassassin --lint`` on a candidate site directory, its complaints mapped back to fields.

The live site directory is never linted in place: a copy of its ``*.pre`` and ``*.cf``
files (without the ``*.pre`` files lint fails on missing plugins) gets the candidate
``local.cf``, and lint reads that copy::

    spamassassin --siteconfigpath=CANDIDATE -x -L --lint

It exits 0 when clean, 1 with lines such as ::

    [24048] warn: config: invalid 'report_safe' value in /tmp/…/local.cf (line 2): report_safe 7
    [24048] warn: netset: illegal IP address given: '300.1.2.3'
    [24048] warn: lint: 6 issues detected, please rerun with debug enabled for more information

(each line starts with the time: ``Dec  1 16:07:47.591 [24048] warn: …``)

A complaint naming a line of the candidate ``local.cf`` belongs to the field that produced
the line (see :class:`.localcf.Rendered`); one naming no line but quoting a value (NetSet's)
belongs to the field whose line holds it; anything else is about the site as a whole. Every
``warn:`` counts, also those lint leaves out of its own count (NetSet's, above).

Lint runs as spamd's own user through daemontools' ``setuidgid``: the advanced preferences
come from a web page, and SpamAssassin configuration is Perl's to interpret.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mailserver.qmail.errors import QmailError

from .localcf import Rendered
from .settings import LABELS

TIMEOUT = 60.0  # lint takes 1.5 s alone; far longer on a loaded host
_WARNING = re.compile(r"(?:^|\] )(warn|error): (.*)$")
_AT_LINE = re.compile(r"(?P<what>.*?) in (?P<path>/\S+) \(line (?P<line>[0-9]+)\): (?P<text>.*)$")
_QUOTED = re.compile(r"'([^']+)'")
_SUMMARY = re.compile(r"lint: [0-9]+ issues? detected")


@dataclass(frozen=True)
class LintProblem:
    field: str | None  # the page's field that produced the line; None: elsewhere in the site
    file: str | None  # the file's name in the site directory ("local.cf", "v310.pre")
    line: int | None  # its line number in that file
    field_line: int | None  # for advanced preferences: the line in the text box
    text: str  # the configuration line, as written
    message: str  # what SpamAssassin said about it

    def describe(self) -> str:
        """One line for an admin: where, then what SpamAssassin said."""
        if self.field == "advanced" and self.field_line:
            where = f"{LABELS['advanced']}, line {self.field_line}"
        elif self.field:
            where = LABELS.get(self.field, self.field)
        elif self.file:
            where = f"{self.file}, line {self.line}" if self.line else self.file
        else:
            where = "SpamAssassin"
        quoted = f": {self.text}" if self.text else ""
        return f"{where}: {self.message}{quoted}"


@dataclass(frozen=True)
class LintResult:
    ok: bool
    problems: tuple[LintProblem, ...]
    seconds: float
    output: str  # what lint printed, for the change log


class LintUnavailable(QmailError):
    """The spamassassin program (or setuidgid) is missing or could not be run."""


def parse_output(output: str, candidate_dir: str, rendered: Rendered) -> list[LintProblem]:
    problems = []
    lines = rendered.text.split("\n")
    for raw in output.splitlines():
        found = _WARNING.search(raw)
        if not found or _SUMMARY.match(found[2]):
            continue
        message = found[2].removeprefix("config: ").strip()
        at = _AT_LINE.match(message)
        if at:
            path = at["path"]
            name = path.rsplit("/", 1)[-1]
            number = int(at["line"])
            ours = name == "local.cf" and path.startswith(candidate_dir.rstrip("/") + "/")
            field = rendered.field_of(number) if ours else None
            problems.append(
                LintProblem(
                    field=field,
                    file=name,
                    line=number,
                    field_line=number - rendered.advanced_first_line + 1 if field == "advanced" else None,
                    text=at["text"],
                    message=at["what"],
                )
            )
            continue
        problems.append(_by_quoted_value(message, lines, rendered))
    return problems


def _by_quoted_value(message: str, lines: list[str], rendered: Rendered) -> LintProblem:
    """A complaint with no line number (NetSet's): the line of local.cf that holds its quoted value."""
    for value in _QUOTED.findall(message):
        for number, line in enumerate(lines, start=1):
            if value in line.split():
                field = rendered.field_of(number)
                if field:
                    first = rendered.advanced_first_line
                    return LintProblem(
                        field, "local.cf", number, number - first + 1 if field == "advanced" else None,
                        line, message,
                    )  # fmt: skip
    return LintProblem(None, None, None, None, "", message)


def _copy_site(site_dir: Path, candidate: Path) -> None:
    """The site's *.pre and *.cf files (but local.cf) into ``candidate``, readable by spamd's user."""
    for source in sorted(site_dir.glob("*")):
        if source.suffix not in (".pre", ".cf") or source.name == "local.cf" or not source.is_file():
            continue
        target = candidate / source.name
        shutil.copyfile(source, target)
        target.chmod(0o644)


def lint_candidate(
    site_dir: Path,
    rendered: Rendered,
    *,
    spamassassin: Path,
    setuidgid: Path | None = None,
    user: str | None = None,
    timeout: float = TIMEOUT,
) -> LintResult:
    """Lint ``rendered`` as the site's local.cf, in a copy of ``site_dir``; the live files are untouched."""
    if not spamassassin.is_file():
        raise LintUnavailable(f"{spamassassin} is not installed, so the change cannot be checked.")
    with tempfile.TemporaryDirectory(prefix="nodeworx-salint-") as tmp:
        candidate = Path(tmp)
        candidate.chmod(0o755)  # spamd's user reads it
        _copy_site(site_dir, candidate)
        (candidate / "local.cf").write_text(rendered.text, encoding="utf-8")
        (candidate / "local.cf").chmod(0o644)
        argv = [str(spamassassin), f"--siteconfigpath={candidate}", "-x", "-L", "--lint"]
        if setuidgid is not None and user:
            argv = [str(setuidgid), user, *argv]
        started = time.monotonic()
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                env={"PATH": "/usr/bin:/bin", "HOME": str(candidate), "LANG": "C"},
                check=False,
                cwd=candidate,
            )
        except subprocess.TimeoutExpired:
            raise LintUnavailable(
                f"spamassassin --lint did not finish within {timeout:g} s, "
                "so the change could not be checked."
            ) from None
        except OSError as exc:
            raise LintUnavailable(f"{argv[0]} could not be run: {exc}") from None
        seconds = time.monotonic() - started
        output = (done.stdout + done.stderr).strip()
        problems = parse_output(output, str(candidate), rendered)
    if done.returncode != 0 and not problems:
        tail = output.splitlines()[-3:] or [f"exit status {done.returncode}"]
        problems = [LintProblem(None, None, None, None, "", " / ".join(tail))]
    return LintResult(not problems, tuple(problems), seconds, output)
