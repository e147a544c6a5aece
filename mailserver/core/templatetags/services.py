"""``{% service_card status %}``: a service's card on any page, with its buttons and why any is off."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import template

from mailserver.services.states import tone

from ..service_views import card_context

register = template.Library()


@register.inclusion_tag("components/service_card.html", takes_context=True)
def service_card(
    context: template.Context, status: dict[str, Any], error: str | None = None
) -> dict[str, Any]:
    """The card of ``status`` (one of the agent's ServiceStatus), returning to the page it is on."""
    return {
        **card_context(context["request"], status, error=error, on_page=True),
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
