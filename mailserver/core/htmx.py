"""Whether a request came from htmx: one URL answers htmx with a fragment and a browser with a page."""

from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
