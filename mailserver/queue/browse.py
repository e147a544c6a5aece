"""Browsing the queue: the paged table, one message, and deleting or expiring messages.

Deleting always counts first (a dry run): the admin confirms that number, and the agent refuses
(``conflict``) when the queue no longer holds it, so the new count is shown and asked again.
Ticked rows are sent with the arrival each row showed: a number qmail reused meanwhile for a
new message is skipped, never deleted.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from mailserver.core import agent
from mailserver.core.htmx import is_htmx
from mailserver.core.nodes import PanelRequest
from mailserver.core.permissions import change_required, view_required
from mailserver.protocol import Op
from mailserver.qmail.errors import FieldError

from . import writes
from .forms import FilterForm, selected
from .present import outcome_notice
from .views import STALE_RELOADS, render_box, without_focus

BROWSE = "queue/_browse.html"
VERBS = {
    "delete": ("deleted", "will be deleted"),
    "expire": (
        "expired",
        "will expire now and bounce at the next try (Process the queue now makes that now)",
    ),
}
# qmail-send tries an expired message again only at its next scheduled retry: hours away, maybe.
AFTER = {"expire": " An expired message bounces at its next try: Process the queue now makes that now."}


def _query(request: PanelRequest) -> QueryDict:
    """The table's filters, sort and page the action was taken on (its query string, posted back)."""
    return QueryDict(request.POST.get("query", ""))


@never_cache
@require_GET
@view_required
def messages(request: PanelRequest) -> HttpResponse:
    """The browse table for the filters and sort in the URL (htmx swaps it; a bookmark gets the page).

    Under htmx the address bar follows (the page's URL with this query), so that a filtered,
    sorted or paged table can be reloaded, bookmarked or left with Back, as without script;
    not when the box reloads itself because the queue changed (its query has not changed).
    """
    response = render_box(request, BROWSE, request.GET)
    if is_htmx(request) and request.headers.get("HX-Trigger") not in STALE_RELOADS:
        kept = QueryDict(mutable=True)
        for name, values in without_focus(request.GET).lists():
            kept.setlist(name, [value for value in values if value])  # the form's empty fields: noise
        query = kept.urlencode()
        response["HX-Push-Url"] = reverse("queue:page") + (f"?{query}" if query else "")
    return response


@never_cache
@require_GET
@view_required
def message(request: PanelRequest, number: int) -> HttpResponse:
    """One message: its recipients, headers, body up to 64 KB and its bounce text."""
    context: dict[str, Any] = {"number": number, "now": timezone.now()}
    try:
        context["found"] = writes.read(request, Op.QUEUE_MESSAGE, {"id": number})
    except agent.AgentRefused as exc:
        context["message_error"] = exc.message
    except agent.AgentError as exc:
        context["agent_error"] = exc.message
    template = "queue/_message.html" if is_htmx(request) else "queue/message.html"
    return render(request, template, context)


def _target(request: PanelRequest, op: Op) -> tuple[dict[str, Any], str]:
    """What the form names: the ticked rows, or (delete only) every message matching the table's filters."""
    if op is Op.QUEUE_DELETE and request.POST.get("mode") == "matching":
        form = FilterForm(_query(request))
        if not form.is_valid() or not form.filters:
            raise FieldError("filters", "Filter the table first: deleting every message is a purge of All.")
        return {"filters": form.filters}, "matching"
    ids, arrived = selected(request.POST.getlist("row"))
    if op is Op.QUEUE_EXPIRE:
        return {"ids": ids}, "selected"
    return {"ids": ids, "arrived": arrived}, "selected"


def _act(request: PanelRequest, op: Op, action: str) -> HttpResponse:
    query = _query(request)
    try:
        payload, mode = _target(request, op)
    except FieldError as exc:
        return render_box(request, BROWSE, query, browse_error=str(exc))
    done, coming = VERBS[action]
    if request.POST.get("confirm") == "yes" and request.POST.get("expect_count", "").isdigit():
        sent = (
            {**payload, "expect_count": int(request.POST["expect_count"])}
            if op is Op.QUEUE_DELETE
            else payload
        )
        try:
            data = writes.change(request, op, sent, writes.queue_intent(action))
        except agent.AgentRefused as exc:
            if exc.kind != "conflict":
                return render_box(request, BROWSE, query, browse_error=exc.message)
            conflict = exc.message
        except agent.AgentError as exc:
            return render_box(request, BROWSE, query, browse_error=exc.message)
        else:
            outcome = data["outcome"]
            notice = outcome_notice(outcome, done)
            if outcome["changed"]:
                notice += AFTER.get(action, "")
            return render_box(request, BROWSE, query, stale=("stats",), browse_notice=notice, outcome=outcome)
    else:
        conflict = ""
    try:
        counted = writes.dry_run(request, op, payload)["outcome"]
    except agent.AgentError as exc:
        return render_box(request, BROWSE, query, browse_error=exc.message)
    confirm = {
        "action": action,
        "mode": mode,
        "count": counted["count"],
        "what": counted.get("what", ""),
        "coming": coming,
        "skipped": counted.get("skipped") or {},
        "rows": request.POST.getlist("row") if mode == "selected" else [],
        "conflict": conflict,
    }
    return render_box(request, BROWSE, query, confirm=confirm)


@never_cache
@require_POST
@change_required
def delete(request: PanelRequest) -> HttpResponse:
    return _act(request, Op.QUEUE_DELETE, "delete")


@never_cache
@require_POST
@change_required
def expire(request: PanelRequest) -> HttpResponse:
    if request.POST.get("mode") == "matching":
        raise Http404("Only ticked messages can be expired.")
    return _act(request, Op.QUEUE_EXPIRE, "expire")
