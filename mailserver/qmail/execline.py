"""Best-effort reading of a qmail-smtpd run script the panel did not write.

Servers arrive with the installer's script or a "Life with qmail" one, e.g.::

    exec /usr/bin/softlimit -m 20000000 \\
        /usr/bin/tcpserver -v -H -R -l "$LOCAL" -x /etc/tcp.smtp.cdb -c "$MAXSMTPD" \\
            -u "$QMAILDUID" -g "$NOFILESGID" 0 smtp /var/qmail/bin/qmail-smtpd 2>&1

We join the backslash continuations, split the exec line like sh would, and walk
the chain of programs (env, envdir, softlimit, tcpserver, rblsmtpd, ...) with
each one's own option letters, so the page can show what the server runs today.
Nothing here is trusted: it only pre-fills the form, which validates as usual.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

# getopt strings of the programs (letters that take a value), from their sources.
_TAKES_VALUE = {
    "softlimit": "acdflmoprst",
    "tcpserver": "xtuglbBc",
    "sslserver": "xtuglbBc",
    "rblsmtpd": "tra",
}
_ONE_ARG = {"envdir", "setuidgid", "envuidgid", "chroot"}  # program ARG child...
_NO_ARG = {"fixcrio", "recordio"}
_SERVICE_PORTS = {"smtp": 25, "submission": 587}
_ASSIGN = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)")  # fullmatch
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")  # fullmatch
_REDIRECT = re.compile(r"^[0-9]*[<>]")


@dataclass(frozen=True)
class ExecLine:
    """What the exec line says, values as written (variables resolved when static)."""

    words: tuple[str, ...]
    softlimit: str | None = None
    bind: str | None = None
    port: str | None = None
    concurrency: str | None = None  # a number, or "$MAXSMTPD" when read at run time
    tcprules_cdb: str | None = None
    rbl_zones: tuple[str, ...] = ()
    smtpd: str | None = None  # path of qmail-smtpd itself
    smtpd_args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()  # from "env NAME=value" in the chain

    @property
    def port_number(self) -> int | None:
        if self.port is None:
            return None
        if re.fullmatch(r"[0-9]{1,5}", self.port):  # not isdigit(): int("²") raises
            return int(self.port)
        return _SERVICE_PORTS.get(self.port)


def logical_lines(text: str) -> list[str]:
    """Lines with backslash-newline continuations joined, as sh reads them."""
    return text.replace("\\\n", " ").splitlines()


def static_assignments(text: str) -> dict[str, str]:
    """NAME=value lines whose value is a constant (no $, no backquote)."""
    found: dict[str, str] = {}
    for line in logical_lines(text):
        match = _ASSIGN.fullmatch(line)
        if not match or "$" in match[2] or "`" in match[2]:
            continue
        try:
            words = shlex.split(match[2], comments=True)
        except ValueError:
            continue
        if len(words) <= 1:
            found[match[1]] = words[0] if words else ""
    return found


def parse_exec_line(text: str) -> ExecLine | None:
    """The last ``exec`` line that runs tcpserver, walked program by program."""
    candidates = [ln.strip() for ln in logical_lines(text) if ln.strip().startswith("exec ")]
    candidates = [ln for ln in candidates if "tcpserver" in ln or "sslserver" in ln]
    if not candidates:
        return None
    try:
        words = shlex.split(candidates[-1], comments=True)[1:]
    except ValueError:
        return None
    known = static_assignments(text)
    words = [_resolve(w, known) for w in words if not _REDIRECT.match(w)]
    return _walk(tuple(words))


def _resolve(word: str, known: dict[str, str]) -> str:
    match = _VAR.fullmatch(word)
    return known.get(match[1], word) if match else word


def _options(words: list[str], takes_value: str) -> tuple[list[tuple[str, str]], list[str]]:
    """getopt: (letter, value) pairs and the words after the options."""
    found: list[tuple[str, str]] = []
    while words and words[0].startswith("-") and words[0] != "-":
        word = words.pop(0)
        if word == "--":
            break
        for i, letter in enumerate(word[1:], start=1):
            if letter in takes_value:
                value = word[i + 1 :] or (words.pop(0) if words else "")
                found.append((letter, value))
                break
            found.append((letter, ""))
    return found, words


def _walk(all_words: tuple[str, ...]) -> ExecLine:
    words = list(all_words)
    fields: dict[str, str] = {}
    zones: list[str] = []
    env: list[tuple[str, str]] = []
    while words:
        program = words.pop(0)
        name = program.rsplit("/", 1)[-1]
        if name == "qmail-smtpd":
            return _found(all_words, fields, zones, env, program, tuple(words))
        if name == "env":
            while words and (words[0].startswith("-") or "=" in words[0]):
                word = words.pop(0)
                if "=" in word and not word.startswith("-"):
                    key, _, value = word.partition("=")
                    env.append((key, value))
        elif name in _ONE_ARG:
            words = words[1:]
        elif name in _NO_ARG:
            continue
        elif name in _TAKES_VALUE:
            options, words = _options(words, _TAKES_VALUE[name])
            for letter, value in options:
                if name == "softlimit" and letter == "m":
                    fields["softlimit"] = value
                elif name == "rblsmtpd" and letter == "r":
                    zones.append(value)
                elif name.endswith("server") and letter in "xc":
                    fields["tcprules_cdb" if letter == "x" else "concurrency"] = value
            if name.endswith("server") and len(words) >= 2:
                fields["bind"], fields["port"] = words[0], words[1]
                words = words[2:]
        else:
            break  # an unknown wrapper: its options are a mystery, stop here
    return _found(all_words, fields, zones, env, None, ())


def _found(
    words: tuple[str, ...],
    fields: dict[str, str],
    zones: list[str],
    env: list[tuple[str, str]],
    smtpd: str | None,
    smtpd_args: tuple[str, ...],
) -> ExecLine:
    return ExecLine(
        words,
        softlimit=fields.get("softlimit"),
        bind=fields.get("bind"),
        port=fields.get("port"),
        concurrency=fields.get("concurrency"),
        tcprules_cdb=fields.get("tcprules_cdb"),
        rbl_zones=tuple(zones),
        smtpd=smtpd,
        smtpd_args=smtpd_args,
        env=tuple(env),
    )
