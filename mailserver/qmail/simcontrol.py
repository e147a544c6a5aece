"""simscan's ``control/simcontrol``: SMTP-level spam and virus scanning, and its threshold.

simscan (a QMAILQUEUE filter, in no package registry) reads, per message, the compiled
``simcontrol.cdb`` that ``simscanmk`` builds from this file. Each line is ::

    KEY:param=value,param=value

with KEY empty for the default (a line starting with ``:``), or a domain or an address.
simscan applies the default, then the sender's domain or address, then each recipient's,
later matches overriding earlier ones. The guide's three settings are the default line's
``clam=yes|no``, ``spam=yes|no`` and ``spam_hits=<score>``: a message scoring at least
spam_hits is refused during SMTP with ``554 mail server permanently rejected message
(#5.3.0)`` (SpamAssassin's own required_score only tags it). The file has no comments;
the panel changes the default line's three parameters and leaves every other parameter
and line as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import FieldError

DEFAULT_SPAM_HITS = "10.0"  # simscan's built-in value, used when the line sets none
SCAN_PARAMS = ("clam", "spam", "spam_hits")
# Parameters that make simscan filter something besides SpamAssassin and ClamAV.
OTHER_FILTERS = ("attach", "regex", "trophie")
_SCORE = re.compile(r"[0-9]{1,4}(?:\.[0-9]{1,3})?")
_PARAM = re.compile(r"([a-z_]+)=([^,]*)")


@dataclass(frozen=True)
class Line:
    key: str  # "" for the default line
    params: tuple[tuple[str, str], ...]  # in the order written
    raw: str

    def get(self, name: str) -> str | None:
        found = [value for key, value in self.params if key == name]
        return found[-1] if found else None


@dataclass(frozen=True)
class ScanSettings:
    spam: bool
    clam: bool
    spam_hits: str  # as simscan reads it (atof); DEFAULT_SPAM_HITS when unset
    spam_hits_set: bool  # the line says it (else simscan's built-in 10.0 applies)


def parse(text: str) -> list[Line]:
    lines = []
    for raw in text.split("\n"):
        stripped = raw.strip()
        if not stripped:
            continue
        key, sep, rest = stripped.partition(":")
        params = tuple((m[1], m[2]) for part in rest.split(",") if (m := _PARAM.fullmatch(part.strip())))
        lines.append(Line(key.lower() if sep else stripped, params if sep else (), raw))
    return lines


def default_line(lines: list[Line]) -> Line | None:
    found = [line for line in lines if line.key == "" and line.raw.lstrip().startswith(":")]
    return found[-1] if found else None


def scan_settings(text: str) -> ScanSettings:
    line = default_line(parse(text))
    hits = line.get("spam_hits") if line else None
    return ScanSettings(
        spam=bool(line and line.get("spam") == "yes"),
        clam=bool(line and line.get("clam") == "yes"),
        spam_hits=hits if hits and _SCORE.fullmatch(hits) else DEFAULT_SPAM_HITS,
        spam_hits_set=bool(hits),
    )


def other_filters(text: str) -> list[str]:
    """Lines or parameters that make simscan do more than the page's two scans."""
    found = []
    for line in parse(text):
        if line.key != "":
            found.append(f"{line.key}: {line.raw.strip()}")
        else:
            found.extend(f"default: {name}={value}" for name, value in line.params if name in OTHER_FILTERS)
    return found


def check_spam_hits(raw: object) -> str:
    text = str(raw).strip() if isinstance(raw, str | int | float) and not isinstance(raw, bool) else ""
    if not _SCORE.fullmatch(text) or not 0 < float(text) <= 1000:
        raise FieldError(
            "spam_hits",
            f"{text or 'An empty value'!r} is not a score from 0.1 to 1000 such as 10 or 12.5 "
            "(simscan reads the number and ignores anything after it).",
        )
    return text


def check_flag(field: str, raw: object) -> bool:
    if not isinstance(raw, bool):
        raise FieldError(field, f"{field} must be true or false")
    return raw


def with_scan_settings(text: str, *, spam: bool, clam: bool, spam_hits: str) -> str:
    """``text`` with the default line's clam, spam and spam_hits set; everything else as it was.

    A missing default line is added first, as simscan's own example puts it.
    """
    check_spam_hits(spam_hits)
    wanted = {"clam": "yes" if clam else "no", "spam": "yes" if spam else "no", "spam_hits": spam_hits}
    lines = [raw for raw in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    parsed = parse(text)
    target = default_line(parsed)
    kept = [(k, v) for k, v in (target.params if target else ()) if k not in wanted]
    new_line = ":" + ",".join(f"{k}={v}" for k, v in [*wanted.items(), *kept])
    if target is None:
        return "\n".join([new_line, *lines]) + "\n"
    index = max(i for i, raw in enumerate(lines) if raw == target.raw)
    lines[index] = new_line
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ScanRequest:
    spam: bool
    clam: bool
    spam_hits: str


def scan_request(payload: dict[str, object], current: ScanSettings) -> ScanRequest:
    """The agent's (and the form's) reading of a change: only the keys sent change.

    Payload: {"spam": bool, "clam": bool, "spam_hits": "10.0"} (any of them).
    """
    unknown = set(payload) - {"spam", "clam", "spam_hits", "expect"}
    if unknown:
        name = sorted(unknown)[0]
        raise FieldError(name, f"{name!r} is not a setting of SMTP-level scanning")
    return ScanRequest(
        spam=check_flag("spam", payload["spam"]) if "spam" in payload else current.spam,
        clam=check_flag("clam", payload["clam"]) if "clam" in payload else current.clam,
        spam_hits=check_spam_hits(payload["spam_hits"]) if "spam_hits" in payload else current.spam_hits,
    )
