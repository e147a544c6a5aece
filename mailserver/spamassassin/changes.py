"""A change to the spam settings, validated once for the form and again by the agent.

The page's form calls :func:`check_field` for each field the admin changed, so the error
stands beside that field; the agent calls :func:`settings_request` on the payload it
receives, because it trusts no payload. Both give the same answer for the same value.
Lint (which only the mail host can run) comes after this, on the candidate file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from mailserver.qmail import atomic
from mailserver.qmail.errors import FieldError

from . import settings as s

FORM_FIELDS = (
    "required_score",
    "rewrite_subject",
    "report_safe",
    "auto_whitelist",
    "whitelist",
    "blacklist",
    "trusted_networks",
    "bayes_auto_learn",
    "bayes_global",
    "advanced",
)
_CHECKS: dict[str, Callable[[object], object]] = {
    "required_score": lambda raw: s.check_score("required_score", raw),
    "rewrite_subject": s.check_subject,
    "report_safe": s.check_report_safe,
    "auto_whitelist": lambda raw: s.check_flag("auto_whitelist", raw),
    "whitelist": lambda raw: s.check_addresses("whitelist", raw),
    "blacklist": lambda raw: s.check_addresses("blacklist", raw),
    "trusted_networks": s.check_networks,
    "bayes_auto_learn": lambda raw: s.check_flag("bayes_auto_learn", raw),
    "bayes_global": lambda raw: s.check_flag("bayes_global", raw),
    "advanced": s.check_advanced,
}


def check_field(field: str, raw: object) -> object:
    """The value SpamAssassin will read for ``raw`` typed in ``field``; FieldError(field) if none."""
    check = _CHECKS.get(field)
    if check is None:
        raise FieldError(field, f"{field!r} is not a setting of the Spam Filtering page.")
    return check(raw)


@dataclass(frozen=True)
class SpamRequest:
    settings: s.SpamSettings  # the whole new configuration
    expect: atomic.Expect  # the sha256 of local.cf the admin saw (None: no file)
    replace_hand_edit: bool  # the admin confirmed replacing a file the panel did not write


def apply_changes(
    current: s.SpamSettings, changed: Mapping[str, Any], *, global_bayes_path: str
) -> s.SpamSettings:
    """``current`` with ``changed`` (field -> raw value) validated and put in."""
    values: dict[str, Any] = {}
    for field, raw in changed.items():
        value = check_field(field, raw)
        if field == "bayes_global":
            values["bayes_path"] = (current.bayes_path or global_bayes_path) if value else None
        else:
            values[field] = value
    new = replace(current, **values)
    both = sorted(set(new.whitelist) & set(new.blacklist))
    if both:
        field = "blacklist" if "blacklist" in changed else "whitelist"
        raise FieldError(field, f"{', '.join(both)} is in both the white list and the black list.")
    return new


def settings_request(
    payload: Mapping[str, Any], current: s.SpamSettings, *, global_bayes_path: str
) -> SpamRequest:
    """The agent's reading of a write payload: {"settings": {field: value}, "expect", "replace_hand_edit"}.

    Only the fields sent change; the others stay as the server's local.cf has them.
    """
    changed = payload.get("settings")
    if not isinstance(changed, dict):
        raise FieldError("settings", "settings is required (an object of the page's fields)")
    confirm = payload.get("replace_hand_edit", False)
    if not isinstance(confirm, bool):
        raise FieldError("replace_hand_edit", "replace_hand_edit must be true or false")
    new = apply_changes(current, changed, global_bayes_path=global_bayes_path)
    return SpamRequest(new, atomic.expectation(payload, "expect"), confirm)


def as_form(settings: s.SpamSettings) -> dict[str, Any]:
    """The page's field values for ``settings`` (lists one entry per line, as the textareas show them)."""
    return {
        "required_score": settings.required_score,
        "rewrite_subject": settings.rewrite_subject,
        "report_safe": settings.report_safe,
        "auto_whitelist": settings.auto_whitelist,
        "whitelist": "\n".join(settings.whitelist),
        "blacklist": "\n".join(settings.blacklist),
        "trusted_networks": "\n".join(settings.trusted_networks),
        "bayes_auto_learn": settings.bayes_auto_learn,
        "bayes_global": settings.bayes_global,
        "advanced": settings.advanced,
    }
