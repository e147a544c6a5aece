from typing import Any

from django import template
from django.utils.html import format_html

from mailserver.logs.forms import OPTIONS
from mailserver.logs.present import number, when

register = template.Library()


@register.filter
def epoch(value: float | None, precise: str = "") -> str:
    """Epoch seconds from the agent as a date in the panel's zone; ``|epoch:"ms"`` adds milliseconds."""
    return when(value, precise=bool(precise))


@register.filter
def intgroups(value: Any) -> str:
    """A count with its thousands grouped: 1,234,567."""
    return number(value)


@register.simple_tag
def for_reports(form: Any, option: str) -> str:
    """``data-reports`` (for mail-logs.js) on an option's box, hidden when the report has no use for it."""
    reports = OPTIONS[option]
    hidden = " hidden" if (form["report"].value() or "show-all") not in reports else ""
    return format_html('data-reports="{}"{}', " ".join(reports), hidden)


_RESULT_CLASSES = {
    "success": "text-bg-success",
    "deferral": "text-bg-warning",
    "failure": "text-bg-danger",
    "arrival": "text-bg-primary",
    "start": "text-bg-light border",
    "bounce": "text-bg-secondary",
    "end": "text-bg-dark",
}


@register.filter
def result_class(kind: str | None) -> str:
    return _RESULT_CLASSES.get(kind or "", "text-bg-light border")
