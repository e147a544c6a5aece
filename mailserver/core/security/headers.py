"""A strict Content-Security-Policy on every response.

The panel's pages load their scripts and styles from files only (no inline script, no style
attributes; htmx's own indicator <style> is switched off in base.html), so nothing inline runs:
an injected <script> or onerror= attribute is refused by the browser even if escaping ever failed.
Bootstrap's form controls draw their arrows and ticks with data: SVG images, hence img-src data:.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
