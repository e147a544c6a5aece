"""``{% service_card status auto_restart %}``: a service's card on any page, with its buttons and why
any is off, and its Auto-Restart box where the page's state carries one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django import template

from mailserver.services import registry
from mailserver.services.states import tone

from ..service_views import auto_restart_context, card_context

register = template.Library()


def _entry(status: Mapping[str, Any], auto_restart: Any) -> Any:
    """The service's Auto-Restart entry, given either the entry or a page state's whole mapping."""
    if not isinstance(auto_restart, Mapping):
        return None
    if "enabled" in auto_restart:
        return auto_restart
    return auto_restart.get(status["name"])


@register.inclusion_tag("components/service.html", takes_context=True)
def service_card(
    context: template.Context,
    status: dict[str, Any],
    auto_restart: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """The card of ``status`` (one of the agent's ServiceStatus), returning to the page it is on.

    ``auto_restart``: the page state's ``auto_restart`` (by service name) or one service's entry;
    a service with an entry gets its Auto-Restart box below the card.
    """
    request = context["request"]
    entry = _entry(status, auto_restart)
    found: dict[str, Any] = {}
    if entry is not None:
        found = auto_restart_context(
            request, registry.get(status["name"]), entry, exists=bool(status.get("exists")), on_page=True
        )
    return {
        **found,
        **card_context(request, status, error=error, on_page=True),
        "can_change": context.get("can_change", False),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def state_tone(state: str) -> str:
    """The Bootstrap colour of a state's badge."""
    return tone(state)


@register.filter
def from_unix(value: float | None) -> datetime | None:
    """A unix time (as the agent sends log stamps) as an aware datetime, for ``|date``."""
    return datetime.fromtimestamp(value, tz=UTC) if isinstance(value, int | float) else None
