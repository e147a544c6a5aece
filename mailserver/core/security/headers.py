"""A strict Content-Security-Policy and a Permissions-Policy on every response.

The panel's pages load their scripts and styles from files only (no inline script, no style
attributes; htmx's own indicator <style> is switched off in base.html), so nothing inline runs:
an injected <script> or onerror= attribute is refused by the browser even if escaping ever failed.
Bootstrap's form controls draw their arrows and ticks with data: SVG images, hence img-src data:.

A Permissions-Policy beside it turns off every browser feature the panel never uses (camera,
microphone, location, payment, USB, ad-interest topics …): a script that got in anyway, or a
page framed against the policy, cannot ask the admin's browser for them on the panel's origin.
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

# Each feature with an empty allowlist: refused to this page and to any frame in it. Only names
# Chromium knows: it logs an error for each other one (ambient-light-sensor, battery, bluetooth,
# document-domain, web-share), on every page.
UNUSED_FEATURES = (
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "gamepad",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "interest-cohort",
    "local-fonts",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "speaker-selection",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in UNUSED_FEATURES)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
