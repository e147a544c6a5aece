"""The run scripts daemontools really runs: rendered from templates, read back.

A managed script is ``#!/bin/sh``, then a marker naming its template and
version, then a header of ``NAME=value`` lines holding the settings, sealed by
a digest on the line that closes it, then fixed text that uses those
variables. Reading a script back therefore needs no shell parsing: the header
gives the settings, and rendering them again must give the very same text, or
somebody edited the file by hand (the page says so rather than overwriting
their work silently). The seal is what makes an edited *value* show: without
it, rendering the edited values would reproduce the edited file.

Templates live in ``templates/*.run`` and use ``@@{name}`` placeholders, which
cannot clash with the shell's own ``$``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import string
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath

from .errors import InvalidValue
from .execline import ExecLine, parse_exec_line, static_assignments
from .paths import Roots
from .runparams import SmtpdParams, check_path, check_user, validate_smtpd
from .smtpauth import (
    SWITCHES,
    AuthMode,
    mode_from_smtpd,
    parse_auth_mode,
    smtpd_arguments,
    smtpd_environment,
    switch_on,
)

# Used with fullmatch: with match(), "$" also matches before a final newline.
_MARKER = re.compile(r"# nodeworx-managed: ([a-z]+)\.run v([0-9]+)")
_END_OF_SETTINGS = "# ---- end of settings"
# Characters sh takes literally in an unquoted assignment value (no ~, no glob, no $).
_BARE = re.compile(r"[A-Za-z0-9_./:@%+,=-]+")
_HEADER_LINE = re.compile(r"([A-Z][A-Z0-9_]*)=(?:'([^']*)'|([A-Za-z0-9_./:@%+,=-]*))")
# `id -u qmaild` or `id -u "$QMAILD_USER"` in the script: whose ids tcpserver gets.
_ID_LOOKUP = re.compile(r"\bid\s+-[ug]\s+[\"']?(\$?\{?[A-Za-z_][A-Za-z0-9_-]*)")


class _RunTemplate(string.Template):
    delimiter = "@@"


@cache
def _template(name: str) -> str:
    return (
        resources.files(__package__ or "mailserver.qmail")
        .joinpath("templates", f"{name}.run")
        .read_text(encoding="utf-8")
    )


def current_version(name: str) -> int:
    """The version the template ``name`` writes into its marker."""
    marker = read_marker(_template(name))
    if marker is None:  # our own file; only a broken install gets here
        raise RuntimeError(f"template {name}.run has no nodeworx-managed marker")
    return marker[1]


def read_marker(text: str) -> tuple[str, int] | None:
    """(template, version) of a managed script, from the line after ``#!``."""
    lines = text.split("\n", 2)
    match = _MARKER.fullmatch(lines[1]) if len(lines) > 1 and lines[0].startswith("#!") else None
    return (match[1], int(match[2])) if match else None


def sh_quote(value: str) -> str:
    """A value sh reads back unchanged: bare if plain, else in single quotes.

    Refuses what single quotes cannot hold (a quote itself) or what would not
    survive a line-based header (newlines and other control characters).
    """
    if _BARE.fullmatch(value):
        return value
    if "'" in value or not value.isprintable():
        raise InvalidValue(f"The value {value!r} contains characters that cannot go into a run script.")
    return f"'{value}'"


def _render(name: str, header: list[tuple[str, str]], roots: Roots, **parts: str) -> str:
    paths = {"qmail": roots.qmail, "control": roots.control_dir, "bin": roots.bin}
    # Root paths are pasted into fixed text (messages, conditions): they must be plain.
    fixed = {key: check_path(str(path), "Directory") for key, path in paths.items()}
    lines = "\n".join(f"{key}={sh_quote(value)}" for key, value in header)
    seal = hashlib.sha256(lines.encode()).hexdigest()[:16]  # a tamper hint, not security
    return _RunTemplate(_template(name)).substitute(fixed, header=lines, seal=seal, **parts)


def _header_of(params: SmtpdParams) -> list[tuple[str, str]]:
    header = [
        ("PORT", str(params.port)),
        ("BIND", params.bind),
        ("SOFTLIMIT", str(params.softlimit)),
        ("QMAILD_USER", params.user),
        ("TCPRULES_CDB", params.tcprules_cdb),
    ]
    header += [(f"RBL_ZONE{i}", zone) for i, zone in enumerate(params.rbl_zones, start=1)]
    header += [
        ("AUTH_MODE", str(params.auth_mode)),
        ("AUTH_REQUIRED", "yes" if params.require_auth else "no"),
        ("TLS_REQUIRED", "yes" if params.force_tls else "no"),
        ("CHECKPASSWORD", params.checkpassword),
    ]
    return header


def render_smtpd(params: SmtpdParams, roots: Roots) -> str:
    """The run script of a tcpserver + qmail-smtpd service (port 25 or submission)."""
    validate_smtpd(params, roots)
    mode = parse_auth_mode(params.auth_mode)  # a form may hand over the plain API string
    env = smtpd_environment(mode, require_auth=params.require_auth, force_tls=params.force_tls)
    environment = [f"unset {' '.join(n for n in SWITCHES if n not in env)}"]
    environment += [f"{name}={value}" for name, value in env.items()]
    if env:
        environment.append(f"export {' '.join(env)}")
    rblsmtpd = ""
    if params.rbl_zones:  # never bare rblsmtpd: its built-in default zone is long dead
        flags = " ".join(f'-r "$RBL_ZONE{i}"' for i in range(1, len(params.rbl_zones) + 1))
        rblsmtpd = f"{roots.bin}/rblsmtpd {flags} \\\n    "
    args = smtpd_arguments(mode, '"$LOCAL"', '"$CHECKPASSWORD"')
    return _render(
        "smtpd",
        _header_of(params),
        roots,
        environment="\n".join(environment),
        rblsmtpd=rblsmtpd,
        smtpd_args="".join(f" {a}" for a in args),
    )


def render_send(roots: Roots) -> str:
    """qmail-send's run script: it only starts ``<qmail>/rc``, like the stock one."""
    return _render("send", [], roots)


def render_rc(roots: Roots) -> str:
    """``<qmail>/rc`` itself, as qmail's install writes it."""
    return _render("rc", [], roots)


def render_log(roots: Roots, log_name: str, user: str = "qmaill") -> str:
    """A log/run script: multilog as ``user`` into ``<log root>/<log_name>``."""
    header = [("LOG_USER", check_user(user)), ("LOG_DIR", str(roots.log_dir(log_name)))]
    return _render("log", header, roots)


@dataclass(frozen=True)
class ParsedRunScript:
    """What a qmail-smtpd run script on the server says."""

    params: SmtpdParams | None  # None when not even the exec line could be read
    managed: bool  # carries our marker
    hand_edited: bool  # managed, but not what rendering its settings gives
    template: str | None = None
    version: int | None = None
    outdated: bool = False  # written by an older template version
    guessed: tuple[str, ...] = ()  # fields the script did not say; defaults shown instead
    exec_line: ExecLine | None = None
    # The panel's own script, written when the SMTP rules lived elsewhere (NODEWORX_TCPRULES_DIR
    # moved since): the cdb it still reads. Saving rewrites it to the current directory's.
    rules_moved_from: str | None = None


def read_header(text: str) -> dict[str, str]:
    """The NAME=value settings of a managed script (the last one wins, as in sh)."""
    found: dict[str, str] = {}
    for line in text.split("\n")[2:]:
        if line.startswith(_END_OF_SETTINGS):
            break
        match = _HEADER_LINE.fullmatch(line)
        if match:
            found[match[1]] = match[2] if match[2] is not None else match[3]
    return found


def _params_from_header(header: dict[str, str]) -> SmtpdParams | None:
    zones: list[str] = []
    while f"RBL_ZONE{len(zones) + 1}" in header:
        zones.append(header[f"RBL_ZONE{len(zones) + 1}"])
    flags = {"yes": True, "no": False}
    try:
        return SmtpdParams(
            port=int(header["PORT"]),
            bind=header["BIND"],
            softlimit=int(header["SOFTLIMIT"]),
            user=header["QMAILD_USER"],
            tcprules_cdb=header["TCPRULES_CDB"],
            rbl_zones=tuple(zones),
            auth_mode=AuthMode(header["AUTH_MODE"]),
            require_auth=flags[header["AUTH_REQUIRED"]],
            force_tls=flags[header["TLS_REQUIRED"]],
            checkpassword=header["CHECKPASSWORD"],
        )
    except (KeyError, ValueError):
        return None


def guess_params(
    text: str, line: ExecLine | None, roots: Roots
) -> tuple[SmtpdParams | None, tuple[str, ...]]:
    """Settings of a script written by hand, and the fields that had to be defaulted."""
    if line is None or line.smtpd is None:
        return None, ()
    default = SmtpdParams.primary(roots)
    guessed: list[str] = []

    def known(field: str, value: str | None) -> str | None:
        if value is None or value.startswith("$"):
            guessed.append(field)
            return None
        return value

    assigned = static_assignments(text)
    env = {**assigned, **dict(line.env)}
    has_auth = len(line.smtpd_args) >= 2  # jms1: HOSTNAME CHECKPROG [SUBPROG...]
    port = line.port_number
    if port is None:
        guessed.append("port")
    softlimit = known("softlimit", line.softlimit)
    lookup = _ID_LOOKUP.search(text)
    user = lookup[1] if lookup else None
    if user is not None and user.startswith("$"):
        user = assigned.get(user.lstrip("${"))
    if user is None:
        guessed.append("user")
    if not has_auth:
        guessed.append("checkpassword")
    params = SmtpdParams(
        port=port or default.port,
        bind=known("bind", line.bind) or default.bind,
        softlimit=int(softlimit)
        if softlimit and re.fullmatch(r"[0-9]{1,15}", softlimit)
        else default.softlimit,
        user=user or default.user,
        tcprules_cdb=known("tcprules_cdb", line.tcprules_cdb) or default.tcprules_cdb,
        rbl_zones=line.rbl_zones,
        auth_mode=mode_from_smtpd(has_auth, env),
        require_auth=switch_on(env, "REQUIRE_AUTH"),
        force_tls=switch_on(env, "FORCE_TLS"),
        checkpassword=line.smtpd_args[1] if has_auth else default.checkpassword,
    )
    return params, tuple(guessed)


def parse_smtpd(text: str, roots: Roots | None = None) -> ParsedRunScript:
    """Read a qmail-smtpd run script, ours or anybody's.

    ``roots`` must be the ones the script was rendered with (default: the
    standard /var/qmail layout), since the fixed text contains those paths.
    """
    roots = roots or Roots()
    marker = read_marker(text)
    line = parse_exec_line(text)
    if marker is None:
        params, guessed = guess_params(text, line, roots)
        return ParsedRunScript(params, managed=False, hand_edited=False, guessed=guessed, exec_line=line)
    template, version = marker
    outdated = template == "smtpd" and version != current_version("smtpd")
    params = _params_from_header(read_header(text)) if template == "smtpd" else None
    if params is None:  # the header itself was edited beyond reading
        params, guessed = guess_params(text, line, roots)
        return ParsedRunScript(params, True, True, template, version, outdated, guessed, line)
    try:
        hand_edited = render_smtpd(params, roots) != text
    except InvalidValue:
        hand_edited = True  # someone wrote a value the panel would refuse
    if hand_edited and _written_for_other_rules(params, roots, text):
        # Only the agent's own field differs: not an admin's edit to protect, but a script to bring
        # up to date (a save checks the new cdb exists first: smtpd_changes.missing_prerequisites).
        return ParsedRunScript(
            params, True, False, template, version, True, (), line, rules_moved_from=params.tcprules_cdb
        )
    return ParsedRunScript(params, True, hand_edited, template, version, outdated, (), line)


def _written_for_other_rules(params: SmtpdParams, roots: Roots, text: str) -> bool:
    """Whether the panel rendered exactly ``text`` when its rules directory was the cdb's own."""
    then = PurePosixPath(params.tcprules_cdb).parent
    if str(then) == str(roots.tcprules) or not then.is_absolute():
        return False
    try:
        return render_smtpd(params, dataclasses.replace(roots, tcprules=Path(then))) == text
    except InvalidValue:
        return False
