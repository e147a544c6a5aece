from django import template
from django.urls import reverse

register = template.Library()

_BADGES = {
    "up": "success",
    "down": "danger",
    "starting": "warning",
    "stopping": "warning",
    "not supervised": "secondary",
    "not installed": "secondary",
    "missing": "secondary",
}


@register.filter
def badge_class(state: str) -> str:
    return _BADGES.get(state, "secondary")


@register.simple_tag
def page_url(page) -> str:
    return reverse(page.url_name) if page.url_name else reverse("not-built", args=[page.slug])


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)
