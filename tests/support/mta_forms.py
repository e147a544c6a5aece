"""Post MTA page sections the way the browser does."""

from __future__ import annotations

from typing import Any

from django.test import Client

from mailserver.mta.sections import PAGE
from tests.support import section_posts


def section_data(slug: str, **changes: Any) -> dict[str, Any]:
    """What the browser would post for a section: the page's initial values, with the admin's changes."""
    return section_posts.section_data(PAGE, slug, **changes)


def post_section(client: Client, slug: str, **changes: Any) -> Any:
    return section_posts.post_section(client, PAGE, slug, **changes)
