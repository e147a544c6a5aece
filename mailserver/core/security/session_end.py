"""What the login page says to an admin sent there from a page (``?next=``): why, and where to.

A session ends by itself after NODEWORX_SESSION_HOURS; the admin then lands on the login page with
no word of why. Django drops the session cookie on the very response that found the session gone
(the redirect to the login), so :class:`SessionEndedMiddleware` leaves a marker for the login page.

The page it goes on to is named from the panel's own list of pages, never from the address:
``next`` is written by whoever made the link, and echoing it would let a crafted link put
its own words on the panel's login page (or show a search's addresses from a Mail Logs query).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from ..navigation import MAIL_SERVER_PAGES

SOMEWHERE = "the page you asked for"
ENDED = "nodeworx_session_ended"  # cookie: this browser's session was found ended (no value kept)
ENDED_FOR = 600  # seconds the marker waits for the login page


def page_name(path: str) -> str:
    """The panel's name for the page at ``path`` (a local path, already checked as safe)."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    if path == reverse("dashboard"):
        return "the Dashboard"
    for page in MAIL_SERVER_PAGES:
        if page.built and path.startswith(page.url()):
            return f"the {page.title} page"
    if path.startswith(reverse("changes")):
        return "Recent changes"
    if path.startswith(reverse("two-factor")):
        return "your two-factor login"
    if path.startswith("/admin/"):
        return "the Django admin"
    return SOMEWHERE


def notice(request: HttpRequest, next_url: str) -> str:
    """The sentence for a login reached by a redirect from a page, or "" for a plain visit.

    "Your session ended" only where this browser brought a session the server no longer knows
    (ended after its hours, or by logging out in another window); a first visit to a bookmarked
    page is only told where the login leads.
    """
    if request.method != "GET" or not next_url:
        return ""
    where = page_name(next_url)
    if ENDED in request.COOKIES:
        return f"Your session ended; log in again to go on to {where}."
    return f"Log in to go on to {where}."


class SessionEndedMiddleware:
    """Marks, for the login page, a browser whose session cookie Django just dropped as ended.

    Placed before SessionMiddleware, so it sees the cookie's deletion on the response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        name = settings.SESSION_COOKIE_NAME
        dropped = (
            name in request.COOKIES and name in response.cookies and response.cookies[name]["max-age"] == 0
        )
        if dropped and ENDED not in request.COOKIES:
            response.set_cookie(
                ENDED,
                "1",
                max_age=ENDED_FOR,
                path=reverse("login"),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
