from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .agent import node_name
from .navigation import MAIL_SERVER_PAGES
from .permissions import can_change


def panel(request: HttpRequest) -> dict[str, Any]:
    # can_change: pages show forms disabled and no save or action buttons without it.
    return {
        "node_name": shown_node(request),
        "mail_server_pages": MAIL_SERVER_PAGES,
        "can_change": can_change(request.user) if hasattr(request, "user") else False,
    }


def shown_node(request: HttpRequest) -> str:
    """The mail host's name for the header, or "" before the login: the login page is open to
    anyone, and a host name tells an attacker which server to aim at (NODEWORX_SHOW_NODE_BEFORE_LOGIN
    shows it anyway, e.g. where one admin's browser holds the logins of several panels)."""
    user = getattr(request, "user", None)
    if not (user is not None and user.is_authenticated) and not settings.SHOW_NODE_BEFORE_LOGIN:
        return ""
    # request.node is set by nodes.NodeMiddleware; error pages rendered before it ran have none.
    return getattr(request, "node", None) or node_name()
