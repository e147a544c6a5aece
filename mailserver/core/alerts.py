"""The warning every Mail Server page shows when the mail server is refusing or not checking mail.

The agent decides (``Op.MAIL_ALERTS``: "danger" when SMTP-level virus scanning is on and clamd is
down or does not answer, so simscan makes qmail-smtpd refuse every message, the guide's footnote;
"warning" when SMTP spam scanning is on and spamd is down, so mail is accepted unscanned). The
layout loads this fragment with htmx once the page is shown and again every minute: the page
never waits for it, and a page open for an hour still says when clamd stopped. When the agent
cannot be reached the fragment is empty: the pages say so themselves.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mailserver.protocol import Op

from . import agent
from .navigation import PAGES_BY_SLUG
from .nodes import PanelRequest
from .permissions import view_required

TIMEOUT = 5.0  # seconds; the agent answers in ~10 ms, and the next poll comes within a minute


def _shown(alert: dict[str, Any]) -> dict[str, Any]:
    page = PAGES_BY_SLUG.get(alert.get("page", ""))
    return {**alert, "url": page.url() if page else None, "page_title": page.title if page else None}


def current(request: PanelRequest) -> list[dict[str, Any]]:
    """The agent's alerts for the request's node, each with the URL of the page that deals with it."""
    try:
        answer = agent.call(Op.MAIL_ALERTS, {}, node=request.node, timeout=TIMEOUT)
    except agent.AgentError:
        return []
    return [_shown(alert) for alert in answer.get("alerts", [])]


@never_cache
@require_GET
@view_required
def mail_alerts(request: PanelRequest) -> HttpResponse:
    return render(request, "components/mail_alerts.html", {"alerts": current(request)})
