"""What the Spam Filtering page's templates compute: the two thresholds, side by side."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


def _number(text: object) -> float | None:
    try:
        return float(str(text))
    except ValueError:
        return None


@register.filter
def rejects_all_spam(state: Mapping[str, Any]) -> bool:
    """Whether simscan's SMTP threshold is at or below SpamAssassin's own: then every message that
    would only be marked as spam on delivery is refused during SMTP, false positives included."""
    smtp = _number(state["smtp_scanning"]["spam_hits"])
    marked = _number(state["settings"]["required_score"])
    return smtp is not None and marked is not None and smtp <= marked
