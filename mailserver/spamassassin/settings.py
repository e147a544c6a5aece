"""The guide's SpamAssassin settings, and each value checked the way SpamAssassin reads it.

SpamAssassin is forgiving in ways that hurt: a ``trusted_networks`` entry it cannot read is
skipped with a warning that ``--lint`` does not count (``300.1.2.3`` passes lint), a bare
domain in ``welcomelist_from`` is a pattern no sender address ever matches, and a ``#``
anywhere in a line starts a comment. So every field is checked here, against the rules of
SpamAssassin 4.0's own parser (Mail::SpamAssassin::Conf, Conf::Parser, NetSet), before the
candidate file is linted at all; lint then catches what only SpamAssassin can know.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from mailserver.qmail.errors import FieldError

LABELS = {
    "required_score": "Spam score threshold",
    "rewrite_subject": "Rewrite header subject",
    "report_safe": "Reporting method",
    "auto_whitelist": "Auto-whitelisting",
    "whitelist": "White list",
    "blacklist": "Black list",
    "trusted_networks": "Trusted networks",
    "bayes_auto_learn": "Bayes auto learning",
    "bayes_global": "Global Bayes database",
    "advanced": "Advanced preferences",
}
REPORT_METHODS = {
    0: "Unchanged, with the subject rewritten and X-Spam headers added",
    1: "Attached to a report from SpamAssassin (message/rfc822)",
    2: "Attached to a report from SpamAssassin as plain text",
}
MAX_ENTRIES = 1000  # per list: SpamAssassin copes with more, a page textarea does not
MAX_SUBJECT = 200
MAX_ADVANCED_LINES = 500
SCORE_MAX = 1000.0  # GTUBE scores 1000: a threshold above it marks nothing as spam
MAX_LINE_PROBLEMS = 20  # bad lines named at once in one field's message; the rest are counted

# SpamAssassin's numeric syntax (Conf::Parser::set_numeric_value), as a fullmatch.
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]*)?")
# What may stand in an address pattern: printable, no blank, no "#" (a comment) and no
# backslash (SpamAssassin turns it into "_" and the pattern stops meaning what it says).
_ADDRESS_CHARS = re.compile(r"[!-~]+")
_DOMAIN_GLOB = re.compile(r"[A-Za-z0-9*?](?:[A-Za-z0-9*?-]*[A-Za-z0-9*?])?(?:\.[A-Za-z0-9*?-]+)+")
_DIRECTIVE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class SpamSettings:
    """What the Spam Filtering page sets, as SpamAssassin will read it."""

    required_score: str = "5.0"  # as written: SpamAssassin's own decimal syntax
    rewrite_subject: str = ""  # "" = subjects are left alone
    report_safe: int = 1
    auto_whitelist: bool = False  # the AWL plugin is off in Debian's v310.pre
    whitelist: tuple[str, ...] = ()
    blacklist: tuple[str, ...] = ()
    trusted_networks: tuple[str, ...] = ()
    bayes_auto_learn: bool = True
    bayes_path: str | None = None  # set: one global Bayes database there; None: per user
    advanced: str = ""  # raw directives, written after everything else

    @property
    def bayes_global(self) -> bool:
        return self.bayes_path is not None


@dataclass(frozen=True)
class Dialect:
    """The directive names a SpamAssassin version reads (4.0 renamed the lists; 4.1 drops the old names)."""

    whitelist: str = "welcomelist_from"
    blacklist: str = "blocklist_from"
    auto_whitelist: str = "use_auto_welcomelist"

    @classmethod
    def for_version(cls, version: str | None) -> Dialect:
        major = re.match(r"([0-9]+)\.", version or "")
        if major and int(major[1]) < 4:
            return cls("whitelist_from", "blacklist_from", "use_auto_whitelist")
        return cls()


# Old and new names alike, as SpamAssassin 4.0 accepts both.
WHITELIST_NAMES = frozenset({"welcomelist_from", "whitelist_from"})
BLACKLIST_NAMES = frozenset({"blocklist_from", "blacklist_from"})
AUTO_WHITELIST_NAMES = frozenset({"use_auto_welcomelist", "use_auto_whitelist"})
SCORE_NAMES = frozenset({"required_score", "required_hits"})
# Directives a field of the page writes: in advanced preferences they would override it.
MANAGED = {
    **dict.fromkeys(SCORE_NAMES, "required_score"),
    "rewrite_header": "rewrite_subject",
    "report_safe": "report_safe",
    **dict.fromkeys(AUTO_WHITELIST_NAMES, "auto_whitelist"),
    **dict.fromkeys(WHITELIST_NAMES, "whitelist"),
    **dict.fromkeys(BLACKLIST_NAMES, "blacklist"),
    "trusted_networks": "trusted_networks",
    "clear_trusted_networks": "trusted_networks",
    "bayes_auto_learn": "bayes_auto_learn",
    "bayes_path": "bayes_global",
}
# Directives that load code or name files, programs or databases. Advanced preferences
# come from a web page; these belong in a file an administrator puts on the server.
_FORBIDDEN_EXACT = frozenset({"include", "loadplugin", "tryplugin", "file"})
# Word by word: "bayes_path", "pyzor_options", "razor_config", "dcc_home", "bayes_store_module".
_FORBIDDEN_WORDS = frozenset(
    {"path", "file", "dir", "dsn", "module", "factory", "options", "config", "home", "command", "helper"}
    | {"program"}
)


def check_score(field: str, raw: object) -> str:
    text = str(raw).strip() if isinstance(raw, str | int | float) and not isinstance(raw, bool) else ""
    if not _NUMBER.fullmatch(text):
        raise FieldError(field, f"{text or 'An empty value'!r} is not a number such as 5 or 6.5.")
    if not 0 < float(text) <= SCORE_MAX:
        raise FieldError(
            field,
            f"{text} is out of range: at 0 or below every message would be spam, and above "
            f"{SCORE_MAX:g} (what the GTUBE test message scores) none would be. Use e.g. 5.",
        )
    return text


def check_subject(raw: object) -> str:
    """The text ``rewrite_header Subject`` puts before a spam's subject ("" = none)."""
    if not isinstance(raw, str):
        raise FieldError("rewrite_subject", "Rewrite header subject must be text.")
    text = raw.strip()  # SpamAssassin drops blanks at both ends anyway
    if "\n" in text or "\r" in text or not text.isprintable():
        raise FieldError("rewrite_subject", "The subject tag must be one line of printable text.")
    if len(text) > MAX_SUBJECT:
        raise FieldError(
            "rewrite_subject", f"The subject tag is {len(text)} characters; use at most {MAX_SUBJECT}."
        )
    return text


def check_report_safe(raw: object) -> int:
    if isinstance(raw, bool) or str(raw).strip() not in ("0", "1", "2"):
        raise FieldError("report_safe", "Reporting method must be 0, 1 or 2 (report_safe).")
    return int(str(raw).strip())


def check_flag(field: str, raw: object) -> bool:
    if not isinstance(raw, bool):
        raise FieldError(field, f"{LABELS[field]} must be on or off.")
    return raw


def entry_lines(field: str, raw: object) -> list[tuple[int, str]]:
    """(line number, entry) of a one-entry-per-line textarea, or a list of entries."""
    if isinstance(raw, str):
        items = raw.split("\n")
    elif isinstance(raw, list | tuple) and all(isinstance(item, str) for item in raw):
        items = list(raw)
    else:
        raise FieldError(field, f"{LABELS[field]} must be text, one entry per line.")
    lines = [(number, item.strip()) for number, item in enumerate(items, start=1) if item.strip()]
    if len(lines) > MAX_ENTRIES:
        raise FieldError(
            field, f"{LABELS[field]} has {len(lines)} entries; the page takes at most {MAX_ENTRIES}."
        )
    return lines


def check_address(field: str, number: int, entry: str) -> str:
    """One sender pattern as ``welcomelist_from`` / ``blocklist_from`` read it.

    SpamAssassin matches the whole sender address against it, ``*`` and ``?`` as globs,
    ignoring case. A bare domain would match no address, so it becomes ``*@domain``.
    """
    where = f"Line {number} ({entry[:60]!r})"
    if any(ch.isspace() for ch in entry):
        raise FieldError(field, f"{where}: one address per line, without spaces.")
    if not _ADDRESS_CHARS.fullmatch(entry) or "#" in entry or "\\" in entry:
        raise FieldError(
            field, f"{where}: only printable ASCII without '#' or '\\' (SpamAssassin reads '#' as a comment)."
        )
    if "@" not in entry:
        if _DOMAIN_GLOB.fullmatch(entry):
            return f"*@{entry.lower()}"
        raise FieldError(
            field, f"{where} is neither an address (user@example.com, *@example.com) nor a domain."
        )
    local, _, domain = entry.rpartition("@")
    if not local or not domain or "@" in local:
        raise FieldError(field, f"{where}: write user@example.com or *@example.com.")
    return entry.lower()


def every_line(field: str, lines: list[tuple[int, str]], check: Callable[[int, str], str]) -> tuple[str, ...]:
    """Each line checked; one FieldError naming every bad line, so that one save shows them all."""
    seen: dict[str, None] = {}
    problems: list[str] = []
    for number, entry in lines:
        try:
            seen.setdefault(check(number, entry), None)
        except FieldError as exc:
            problems.append(str(exc))
    if problems:
        raise FieldError(field, joined(problems))
    return tuple(seen)


def joined(problems: list[str]) -> str:
    shown = problems[:MAX_LINE_PROBLEMS]
    if len(problems) > len(shown):
        shown.append(f"… and {len(problems) - len(shown)} more lines like these.")
    return "\n".join(shown)


def check_addresses(field: str, raw: object) -> tuple[str, ...]:
    return every_line(
        field, entry_lines(field, raw), lambda number, entry: check_address(field, number, entry)
    )


def check_network(number: int, entry: str) -> str:
    """One ``trusted_networks`` entry, by the rules of Mail::SpamAssassin::NetSet::add_cidr.

    Accepted: ``[!]IP[/len]`` with IPv4 or IPv6 (brackets allowed), and SpamAssassin's short
    IPv4 forms ``10/8``, ``192.168.`` (a /16) and ``10.1.2`` (a /24). Refused: netmasks and
    ranges (they need optional Perl modules), ``/0`` (trusting every relay would make every
    forged Received header believable), and what NetSet itself would skip.
    """
    where = f"Line {number} ({entry[:60]!r})"
    negated = entry.startswith("!")
    text = entry[1:].lstrip() if negated else entry
    if any(ch.isspace() for ch in text):
        raise FieldError("trusted_networks", f"{where}: one network per line, without spaces.")
    if "-" in text:
        raise FieldError("trusted_networks", f"{where}: write a range as CIDR blocks (10.0.0.0/8).")
    address, slash, length = text.partition("/")
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    if slash and not re.fullmatch(r"[0-9]{1,3}", length):
        raise FieldError("trusted_networks", f"{where}: the prefix after / must be a length such as 24.")
    short = re.fullmatch(r"([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:\.([0-9]+))?\.?", address)
    if short:  # SpamAssassin's IPv4 forms: a missing octet is 0 and sets the default length
        octets = [part for part in short.groups() if part is not None]
        if len(octets) == 4 and address.endswith("."):
            raise FieldError("trusted_networks", f"{where} is not an IPv4 address.")
        address = ".".join([*octets, *["0"] * (4 - len(octets))])
        length = length if slash else str(8 * len(octets))
        if any(int(part) > 255 for part in octets):
            raise FieldError("trusted_networks", f"{where} is not an IPv4 address (each part is 0 to 255).")
    try:
        network = ipaddress.ip_network(f"{address}/{length}" if length else address, strict=False)
    except ValueError:
        raise FieldError("trusted_networks", f"{where} is not an IP address or network.") from None
    if network.prefixlen == 0:
        raise FieldError(
            "trusted_networks",
            f"{where} trusts every relay on the Internet: "
            "SpamAssassin would believe every forged Received line.",
        )
    return f"!{text}" if negated else text


def check_networks(raw: object) -> tuple[str, ...]:
    return every_line("trusted_networks", entry_lines("trusted_networks", raw), check_network)


def directive_of(line: str) -> str | None:
    """The directive a config line sets, as SpamAssassin's parser names it (None: blank or comment)."""
    text = re.sub(r"(?<!\\)#.*$", "", line).strip()
    if not text:
        return None
    word = text.split(None, 1)[0]
    if word == "lang" and len(text.split()) >= 3:  # "lang xx directive value"
        word = text.split()[2]
    return word.lower().replace("-", "_")


def _rewrites_subject(line: str) -> bool:
    words = re.sub(r"(?<!\\)#.*$", "", line).split()
    return len(words) > 1 and words[1].lower() == "subject"


def check_advanced(raw: object, managed: dict[str, str] | None = None) -> str:
    """Raw SpamAssassin directives, one per line; lint checks what they mean.

    Refused: what a field of the page sets (it would silently override that field), and
    directives that load code or name files, programs or databases.
    """
    if not isinstance(raw, str):
        raise FieldError("advanced", "Advanced preferences must be text.")
    text = raw.replace("\r\n", "\n").strip("\n")
    lines = text.split("\n") if text else []
    if len(lines) > MAX_ADVANCED_LINES:
        raise FieldError(
            "advanced", f"Advanced preferences have {len(lines)} lines; at most {MAX_ADVANCED_LINES}."
        )
    fields = MANAGED if managed is None else managed
    every_line(
        "advanced",
        list(enumerate(lines, start=1)),
        lambda number, line: _check_directive(number, line, fields),
    )
    return "\n".join(line.rstrip() for line in lines)


def _check_directive(number: int, line: str, fields: dict[str, str]) -> str:
    """One line of advanced preferences; FieldError("advanced") if the panel will not write it."""
    if not line.replace("\t", " ").isprintable():
        raise FieldError("advanced", f"Line {number} holds control characters.")
    name = directive_of(line)
    if name is None:
        return line
    if not _DIRECTIVE.fullmatch(name):
        raise FieldError("advanced", f"Line {number}: {name[:40]!r} is not a SpamAssassin directive.")
    if name in fields and not (name == "rewrite_header" and not _rewrites_subject(line)):
        raise FieldError(
            "advanced", f"Line {number}: {name} is set by {LABELS[fields[name]]} above; change it there."
        )
    if name in _FORBIDDEN_EXACT or _FORBIDDEN_WORDS & set(name.split("_")):
        raise FieldError(
            "advanced",
            f"Line {number}: {name} loads code or names a file, program or database; the panel does "
            "not set those from a web page. Put it in a .cf file of your own on the server.",
        )
    return line
