"""System Services › Mail Server navigation, in the guide's order."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    url_name: str | None  # None: not built yet; the placeholder page says so


MAIL_SERVER_PAGES = (
    Page("mta", "MTA", "mta:page"),
    Page("mda", "MDA", None),
    Page("spam", "Spam Filtering", None),
    Page("virus", "Virus Filtering", None),
    Page("queue", "Mail Queue", None),
    Page("logs", "Mail Logs", "logs:page"),
)

PAGES_BY_SLUG = {page.slug: page for page in MAIL_SERVER_PAGES}
