from collections.abc import Mapping
from typing import Any

from django import template

from ..navigation import Page

register = template.Library()


@register.simple_tag
def page_url(page: Page) -> str:
    return page.url()


@register.filter
def is_within(path: str, href: str) -> bool:
    """The sidebar marks a page current on its own URL and below it (a message's timeline page)."""
    return path == href or path.startswith(href.rstrip("/") + "/")


@register.filter
def get_item(mapping: Mapping[str, Any] | None, key: str) -> Any:
    return (mapping or {}).get(key)
