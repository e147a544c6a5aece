"""Who may do what: viewing the mail server pages, and changing the mail server.

Two permissions (on ``core.Panel``), handed out through two groups made by migration
0003: "Mail viewers" (view) and "Mail admins" (view and change). Superusers have both.
Every page needs view; every request that changes the mail server needs change, and
a request without it gets 403 before anything is sent to an agent.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import permission_required

VIEW = "core.view_mailserver"
CHANGE = "core.change_mailserver"
VIEWERS = "Mail viewers"
ADMINS = "Mail admins"

view_required = permission_required(VIEW, raise_exception=True)
change_required = permission_required(CHANGE, raise_exception=True)


def can_view(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm(VIEW))


def can_change(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm(CHANGE))
