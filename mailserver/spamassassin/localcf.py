"""The site's ``local.cf``: written by the panel from the settings, read back from any hand.

``local.cf`` is where Debian and upstream tell administrators to customise SpamAssassin,
and what the guide's settings change. The panel writes it in a fixed shape: a marker line,
one directive per line for the page's fields (list entries one per line too, so that a
lint complaint about line N names one field and one entry), then a divider and the
advanced preferences exactly as typed. :func:`render` also says which field produced each
line; that is how a lint failure finds its way back to the field beside which it is shown.

Reading follows SpamAssassin's parser: ``#`` starts a comment unless escaped as ``\\#``,
blanks around a value are dropped, the last single-valued setting wins, list directives
add up, and a value SpamAssassin would reject is ignored as SpamAssassin ignores it (with
a note). A file the panel did not write is read the same way, with every directive it has
no field for (and whatever sits inside ``if``/``ifplugin`` blocks) carried into the
advanced preferences, so replacing it loses only comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .settings import (
    AUTO_WHITELIST_NAMES,
    BLACKLIST_NAMES,
    SCORE_NAMES,
    WHITELIST_NAMES,
    Dialect,
    SpamSettings,
    directive_of,
)

MARKER = "# nodeworx-managed: local.cf v1"
_INTRO = (
    MARKER,
    "# Written by the control panel (Mail Server > Spam Filtering). Change the settings there:",
    "# the panel notices a hand edit above the advanced preferences and asks before replacing it.",
)
ADVANCED_DIVIDER = "# ---- advanced preferences (the page's text, as typed) ----"
AWL_PLUGIN = "Mail::SpamAssassin::Plugin::AWL"
_COMMENT = re.compile(r"(?<!\\)#.*$")


@dataclass(frozen=True)
class Rendered:
    text: str
    fields: tuple[str | None, ...]  # fields[n - 1]: the field that produced line n (None: fixed text)
    advanced_first_line: int  # the line number of the first advanced preference

    def field_of(self, line: int) -> str | None:
        return self.fields[line - 1] if 1 <= line <= len(self.fields) else None


def escape(value: str) -> str:
    """A value SpamAssassin reads back unchanged: its parser cuts at an unescaped ``#``."""
    return value.replace("#", "\\#")


def render(settings: SpamSettings, dialect: Dialect | None = None) -> Rendered:
    dialect = dialect or Dialect()
    lines: list[tuple[str, str | None]] = [(line, None) for line in _INTRO]

    def add(name: str, *texts: str) -> None:
        lines.extend((text, name) for text in texts)

    add("required_score", f"required_score {settings.required_score}")
    if settings.rewrite_subject:
        add("rewrite_subject", f"rewrite_header Subject {escape(settings.rewrite_subject)}")
    add("report_safe", f"report_safe {settings.report_safe}")
    if settings.auto_whitelist:
        # The plugin is commented out in v310.pre, and the setting fails lint without it.
        add("auto_whitelist", f"loadplugin {AWL_PLUGIN}", f"{dialect.auto_whitelist} 1")
    else:  # explicitly off, in case a .pre file loads the plugin (whose default is on)
        add("auto_whitelist", f"ifplugin {AWL_PLUGIN}", f"{dialect.auto_whitelist} 0", "endif")
    add("whitelist", *(f"{dialect.whitelist} {entry}" for entry in settings.whitelist))
    add("blacklist", *(f"{dialect.blacklist} {entry}" for entry in settings.blacklist))
    add("trusted_networks", *(f"trusted_networks {entry}" for entry in settings.trusted_networks))
    add("bayes_auto_learn", f"bayes_auto_learn {int(settings.bayes_auto_learn)}")
    if settings.bayes_path is not None:
        add("bayes_global", f"bayes_path {settings.bayes_path}")
    lines.append((ADVANCED_DIVIDER, None))
    first_advanced = len(lines) + 1
    if settings.advanced:
        add("advanced", *settings.advanced.split("\n"))
    return Rendered(
        "".join(f"{text}\n" for text, _ in lines), tuple(name for _, name in lines), first_advanced
    )


@dataclass(frozen=True)
class Parsed:
    settings: SpamSettings
    managed: bool  # carries the panel's marker
    hand_edited: bool  # managed, but not exactly what the panel writes for these settings
    notes: tuple[str, ...] = ()  # values SpamAssassin ignores, read as it does


@dataclass
class _Reading:
    values: dict[str, object] = field(default_factory=dict)
    whitelist: list[str] = field(default_factory=list)
    blacklist: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    advanced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _value(line: str) -> str:
    """A line's value as SpamAssassin's parser sees it: comment cut, ``\\#`` unescaped, stripped."""
    text = _COMMENT.sub("", line).replace("\\#", "#").strip()
    parts = text.split(None, 1)
    return parts[1] if len(parts) > 1 else ""


def _take(reading: _Reading, name: str, value: str, number: int, line: str) -> bool:
    """Read one top-level directive into a field; False when it is not one of the page's."""
    ignored = f"line {number}: {line.strip()!r} is ignored by SpamAssassin"
    if name in SCORE_NAMES:
        if re.fullmatch(r"[+-]?[0-9]+(?:\.[0-9]*)?", value):
            reading.values["required_score"] = value
        else:
            reading.notes.append(f"{ignored} (not a number).")
    elif name == "rewrite_header":
        header, _, text = value.partition(" ")
        if header.lower() != "subject":
            return False
        reading.values["rewrite_subject"] = text.strip()
    elif name == "report_safe":
        if value in ("0", "1", "2"):
            reading.values["report_safe"] = int(value)
        else:
            reading.notes.append(f"{ignored} (report_safe is 0, 1 or 2).")
    elif name in AUTO_WHITELIST_NAMES or name == "bayes_auto_learn":
        key = "bayes_auto_learn" if name == "bayes_auto_learn" else "auto_whitelist"
        if value in ("0", "1"):
            reading.values[key] = value == "1"
        else:
            reading.notes.append(f"{ignored} (0 or 1).")
    elif name in WHITELIST_NAMES:
        reading.whitelist.extend(value.lower().split())
    elif name in BLACKLIST_NAMES:
        reading.blacklist.extend(value.lower().split())
    elif name == "trusted_networks":
        reading.networks.extend(value.split())
    elif name == "clear_trusted_networks":
        reading.networks.clear()
    elif name == "bayes_path":
        reading.values["bayes_path"] = value or None
    elif name == "loadplugin" and value.split()[:1] == [AWL_PLUGIN]:
        reading.values.setdefault("auto_whitelist", True)  # loading it turns it on (its default)
    else:
        return False
    return True


def _read_lines(lines: list[str], reading: _Reading) -> None:
    """Comments outside blocks are dropped; blocks are kept verbatim unless one is a field."""
    block: list[str] = []  # the lines of the if/ifplugin block being read
    depth = 0
    for number, line in enumerate(lines, start=1):
        name = directive_of(line)
        if name is None:
            if depth:
                block.append(line)
            continue
        if name in ("if", "ifplugin"):
            depth += 1
            block.append(line)
            continue
        if depth:
            block.append(line)
            if name == "endif":
                depth -= 1
                if depth == 0:
                    _close_block(block, reading, number)
                    block = []
            continue
        if not _take(reading, name, _value(line), number, line):
            reading.advanced.append(line.rstrip())
    reading.advanced.extend(block)  # an if block never closed: kept as written


def _close_block(block: list[str], reading: _Reading, number: int) -> None:
    """An ``ifplugin AWL`` block holding only the auto-whitelist switch is that field; an
    ``if``/``ifplugin`` block holding no directive at all (Debian's Shortcircuit examples) goes."""
    inner = [line for line in block[1:-1] if directive_of(line) is not None]
    opening = _value(block[0]).split()
    if directive_of(block[0]) == "ifplugin" and opening == [AWL_PLUGIN] and inner:
        names = {directive_of(line) for line in inner}
        if names <= AUTO_WHITELIST_NAMES:
            for line in inner:
                _take(reading, directive_of(line) or "", _value(line), number, line)
            return
    if inner:
        reading.advanced.extend(line.rstrip() for line in block)


def _settings(reading: _Reading) -> SpamSettings:
    values = reading.values
    advanced = "\n".join(reading.advanced).strip("\n")
    advanced = re.sub(r"\n{3,}", "\n\n", advanced)
    return replace(
        SpamSettings(),
        **values,  # type: ignore[arg-type]
        whitelist=tuple(dict.fromkeys(reading.whitelist)),
        blacklist=tuple(dict.fromkeys(reading.blacklist)),
        trusted_networks=tuple(dict.fromkeys(reading.networks)),
        advanced=advanced,
    )


def parse(text: str, dialect: Dialect | None = None) -> Parsed:
    """Read ``local.cf`` (the panel's or anybody's); an absent file is ``parse("")``."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    managed = bool(lines) and lines[0] == MARKER
    reading = _Reading()
    if (
        managed
        and ADVANCED_DIVIDER in lines
        and not _sets_a_field(lines[lines.index(ADVANCED_DIVIDER) + 1 :])
    ):
        cut = lines.index(ADVANCED_DIVIDER)
        _read_lines(lines[:cut], reading)
        moved = reading.advanced  # a directive hand-added above the divider
        reading.advanced = [*moved, *lines[cut + 1 :]] if moved else lines[cut + 1 :]
        settings = _settings(reading)
        hand_edited = render(settings, dialect).text != text
        return Parsed(settings, True, hand_edited, tuple(reading.notes))
    # Not the panel's, or a field's directive added under the divider by hand (SpamAssassin reads the
    # file to its end, so that one wins): read the whole file as SpamAssassin does.
    _read_lines(lines, reading)
    return Parsed(_settings(reading), managed, managed, tuple(reading.notes))


def _sets_a_field(lines: list[str]) -> bool:
    """Whether ``lines`` (the advanced preferences as found) set what a field of the page sets."""
    scratch = _Reading()
    _read_lines(lines, scratch)
    cleared = any(directive_of(line) == "clear_trusted_networks" for line in lines)
    return cleared or bool(scratch.values or scratch.whitelist or scratch.blacklist or scratch.networks
                           or scratch.notes)  # fmt: skip
