from django import template

from mailserver.logs.present import when

register = template.Library()


@register.filter
def epoch(value: float | None, precise: str = "") -> str:
    """Epoch seconds from the agent as a date in the panel's zone; ``|epoch:"ms"`` adds milliseconds."""
    return when(value, precise=bool(precise))


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
