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


def settled(page: Page) -> None:
    """Wait until htmx has bound what it swapped in: it does so a settle delay (20 ms) after the swap.

    The browser's own autofocus may focus a swapped-in element before that; a key pressed then on a
    link follows its plain href, a whole page load (seen under load: Escape on a confirmation's
    Cancel reloaded the page, and the focus was lost).
    """
    from playwright.sync_api import expect

    expect(page.locator(".htmx-settling, .htmx-added")).to_have_count(0)
