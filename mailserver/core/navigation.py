"""System Services › Mail Server navigation, in the guide's order."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    url_name: str  # until the page's app names a URL so, the placeholder page says "not built yet"

    def url(self) -> str:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return reverse("not-built", args=[self.slug])

    @property
    def built(self) -> bool:
        try:
            reverse(self.url_name)
        except NoReverseMatch:
            return False
        return True


MAIL_SERVER_PAGES = (
    Page("mta", "MTA", "mta:page"),
    Page("mda", "MDA", "mda:page"),
    Page("spam", "Spam Filtering", "spam:page"),
    Page("virus", "Virus Filtering", "virus:page"),
    Page("queue", "Mail Queue", "queue:page"),
    Page("logs", "Mail Logs", "logs:page"),
)

PAGES_BY_SLUG = {page.slug: page for page in MAIL_SERVER_PAGES}
