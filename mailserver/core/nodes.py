"""Which mail host a request is about: ``request.node``, set once here for every view.

Views pass ``request.node`` to :func:`mailserver.core.agent.call` and ``change`` instead of
reading the configuration themselves, so that driving a second mail host later is a
setting and a URL prefix (``/node/<name>/…``) resolved in this one place, not an edit of
every view. Today there is one node: the one the panel is configured with.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import agent


class PanelRequest(HttpRequest):
    """A request that went through :class:`NodeMiddleware` (for type hints in views)."""

    node: str


def node_for(request: HttpRequest) -> str:
    """The node ``request`` addresses: for now always the configured one."""
    return agent.node_name()


class NodeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.node = node_for(request)  # type: ignore[attr-defined]
        return self.get_response(request)
