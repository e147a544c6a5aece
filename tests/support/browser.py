"""Logging in through the login form in a real browser, as the browser tests' admin."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

USERNAME, PASSWORD = "admin", "correct horse battery"


def log_in(page: Page, url: str, *, lands_on: str | None = None) -> None:
    """Open ``url`` (the login form comes first), log in, and wait to land on ``lands_on`` (``url``)."""
    page.goto(url)
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url if lands_on is None else lands_on)
