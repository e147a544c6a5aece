"""Every page of the panel needs a logged-in user allowed to view it; it drives root on mail hosts."""

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .permissions import VIEW

# Logging out needs no permission: an account refused every page must still be able to leave.
_OPEN = ("/login/", "/logout/", "/static/", "/admin/login/")
NO_GROUP = "Your account may not use this panel: it needs the Mail viewers or Mail admins group."


class AuthenticatedRequest(HttpRequest):
    """A request LoginRequiredMiddleware let through to a page: its user is logged in (for type hints)."""

    user: User


class LoginRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(_OPEN):
            user = request.user
            if not user.is_authenticated:
                if request.headers.get("HX-Request"):
                    return _login_for_htmx(request)
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if not user.has_perm(VIEW):
                # A page, not a bare line: it carries the header's Log out, the only way out.
                return render(request, "403.html", {"exception": NO_GROUP}, status=403)
        response = self.get_response(request)
        if response.status_code == 405 and request.method == "GET" and not response.content:
            # /logout/ or a restore typed into the address bar: Django's 405 is empty, and the browser
            # showed its own "This page isn't working". Say what the address is for; the Allow header stays.
            page = render(request, "405.html", {"path": request.path}, status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response


def _login_for_htmx(request: HttpRequest) -> HttpResponse:
    """A session that ended under an open page: the whole page goes to the login, back to itself after.

    A redirect would be followed by htmx and the login page swapped into the box that asked (a
    save, the dashboard's refresh every 10 s); HX-Redirect makes htmx load it as the page instead.
    """
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    back = current.path + (f"?{current.query}" if current.query else "") if current.path else "/"
    response = HttpResponse(status=401)
    response["HX-Redirect"] = redirect_to_login(back, settings.LOGIN_URL)["Location"]
    return response
