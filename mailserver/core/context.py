from typing import Any

from django.http import HttpRequest

from .agent import node_name
from .navigation import MAIL_SERVER_PAGES
from .permissions import can_change


def panel(request: HttpRequest) -> dict[str, Any]:
    # can_change: pages show forms disabled and no save or action buttons without it.
    return {
        # request.node is set by nodes.NodeMiddleware; error pages rendered before it ran have none.
        "node_name": getattr(request, "node", None) or node_name(),
        "mail_server_pages": MAIL_SERVER_PAGES,
        "can_change": can_change(request.user) if hasattr(request, "user") else False,
    }
