"""The Mail Queue page: its boxes, the counts and purging, processing the queue now.

Every box is a template of its own (templates/queue/_*.html) drawn from one context: the page
draws them all; an action answers with its box alone under htmx, else with the whole page
holding the box's outcome (a confirmation, a notice), so the page works without script too.
Reads are agent calls (QUEUE_STATS, QUEUE_LIST, SERVICE_STATUS); writes go through
``writes.change`` and are recorded. Viewers see everything; every POST needs the change right.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from mailserver.core import agent
from mailserver.core.htmx import is_htmx
from mailserver.core.nodes import PanelRequest
from mailserver.core.permissions import change_required, view_required
from mailserver.core.service_views import unknown_status
from mailserver.protocol import Op
from mailserver.protocol.records import intended

from . import writes
from .forms import PARTS, FilterForm, InjectForm
from .present import outcome_notice, page_links, sort_links, table_rows

PART_NAMES = dict(PARTS)
REMOTE_WHOLE = (
    "Purging Remote deletes whole messages: a message that also waits for a local delivery goes too."
)


def stats_context(request: PanelRequest) -> dict[str, Any]:
    """The counts, qmail-send's state and what cannot work here; every box needs some of it."""
    try:
        stats = writes.read(request, Op.QUEUE_STATS)
    except agent.AgentError as exc:
        return {"agent_error": exc.message}
    return {"stats": stats, "disabled": stats.get("disabled") or {}}


def send_status(request: PanelRequest) -> dict[str, Any]:
    """qmail-send's service card (the registry's status, as on the MTA page)."""
    try:
        found = agent.call(Op.SERVICE_STATUS, {"services": ["qmail-send"]}, node=request.node)
        return {"send_status": found["qmail-send"]}
    except agent.AgentError as exc:
        return {"send_status": unknown_status("qmail-send"), "send_error": exc.message}


# The controls a box may give the focus back to when it is put back (Cancel of a confirmation):
# its answer replaces the button that had it, and the focus would fall to the top of the page.
FOCUS = frozenset(
    {"purge-local", "purge-remote", "purge-todo", "purge-all", "reset-queue"}
    | {"delete-selected", "expire-selected", "delete-matching"}
)


def focus_on(query: QueryDict) -> dict[str, str]:
    focus = query.get("focus", "")
    return {"focus": focus} if focus in FOCUS else {}


def without_focus(query: QueryDict) -> QueryDict:
    """The table's query without ``focus``: it must not ride along in the links the box draws."""
    if "focus" not in query:
        return query
    kept = query.copy()
    del kept["focus"]
    return kept


def browse_context(request: PanelRequest, query: QueryDict) -> dict[str, Any]:
    """One page of the browse table for the filters, sort and page in ``query``."""
    query = without_focus(query)
    form = FilterForm(query)
    context: dict[str, Any] = {"filter_form": form, "query": query.urlencode()}
    if not form.is_valid():
        context["focus_errors"] = focus_first_error(request, form)
        return context
    try:
        listing = writes.read(request, Op.QUEUE_LIST, form.payload())
    except agent.AgentRefused as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        context["focus_errors"] = focus_first_error(request, form)
        return context
    except agent.AgentError as exc:
        context["browse_error"] = exc.message
        return context
    context["listing"] = listing
    context.update(paging(form, listing))
    return context


def paging(form: FilterForm, listing: dict[str, Any]) -> dict[str, Any]:
    return {
        "pages": page_links(form, listing),
        "sorts": sort_links(form),
        "rows": table_rows(listing["messages"]),
    }


def focus_first_error(request: HttpRequest, form: Any) -> bool:
    """Put the focus on the first field in error (or the form's own error above it) of a form the
    admin just sent; not when a box reloads itself because the queue changed, which would take
    the focus from wherever the admin is."""
    if is_htmx(request) and request.headers.get("HX-Trigger") in STALE_RELOADS:
        return False
    for name in form.fields:  # the first on the page, whichever was found first
        if name in form.errors:
            form.fields[name].widget.attrs["autofocus"] = True
            return False
    return True  # only errors of the whole form: its alert takes the focus


STALE_RELOADS = {"queue-browse", "queue-stats"}  # the boxes that reload themselves (hx-trigger "*-stale")


def render_box(
    request: PanelRequest,
    template: str,
    query: QueryDict | None = None,
    *,
    stale: tuple[str, ...] = (),
    **extra: Any,
) -> HttpResponse:
    """An action's answer: its box alone (htmx) or the whole page showing the box's outcome.

    ``query`` is the browse table's (its filters, sort and page), kept across an action on it;
    ``stale`` names the other boxes the change made out of date ("stats", "browse"): each
    reloads itself on its event, after this box is in place.
    """
    if not is_htmx(request):
        return render(request, "queue/page.html", {**page_context(request, query), **extra})
    context = {**stats_context(request), "inject_form": InjectForm(), **focus_on(request.GET), **extra}
    if template == "queue/_process.html":
        context.update(send_status(request))
    if template == "queue/_browse.html" and "stats" in context:
        context.update(browse_context(request, query if query is not None else QueryDict()))
    response = render(request, template, context)
    if stale:
        response["HX-Trigger-After-Settle"] = ", ".join(f"{box}-stale" for box in stale)
    return response


def page_context(request: PanelRequest, query: QueryDict | None = None) -> dict[str, Any]:
    context = {**stats_context(request), "inject_form": InjectForm()}
    if "stats" in context:
        context.update(send_status(request))
        context.update(browse_context(request, query if query is not None else QueryDict()))
    return context


@never_cache
@view_required
def page(request: PanelRequest) -> HttpResponse:
    return render(request, "queue/page.html", {**page_context(request, request.GET), **focus_on(request.GET)})


@never_cache
@view_required
def stats_box(request: PanelRequest) -> HttpResponse:
    """The Statistics box as it is now (Cancel of a confirmation, a refresh)."""
    return render_box(request, "queue/_stats.html")


def _purge_confirmation(request: PanelRequest, part: str, conflict: str = "") -> dict[str, Any]:
    try:
        data = writes.dry_run(request, Op.QUEUE_PURGE, {"queue": part})
    except agent.AgentError as exc:  # refused (qmail-send outside supervise), or no answer
        return {"stats_error": exc.message}
    return {
        "purge": {
            "part": part,
            "name": PART_NAMES[part],
            "count": data["outcome"]["count"],
            "conflict": conflict,
            "whole": part == "remote",
        }
    }


@never_cache
@require_POST
@change_required
def purge(request: PanelRequest) -> HttpResponse:
    """Purge a part of the queue: first the dry run's count to confirm, then the purge of that many."""
    part = request.POST.get("queue", "")
    if part not in PART_NAMES:
        return render_box(request, "queue/_stats.html", stats_error="Choose Local, Remote, Todo or All.")
    if request.POST.get("confirm") != "yes":
        return render_box(request, "queue/_stats.html", **_purge_confirmation(request, part))
    expect = request.POST.get("expect_count", "")
    if not expect.isdigit():
        return render_box(request, "queue/_stats.html", **_purge_confirmation(request, part))
    payload = {"queue": part, "expect_count": int(expect)}
    try:
        data = writes.change(request, Op.QUEUE_PURGE, payload, writes.queue_intent(f"purge {part}"))
    except agent.AgentRefused as exc:
        if exc.kind == "conflict":
            return render_box(request, "queue/_stats.html", **_purge_confirmation(request, part, exc.message))
        return render_box(request, "queue/_stats.html", stats_error=exc.message)
    except agent.AgentError as exc:
        return render_box(request, "queue/_stats.html", stats_error=exc.message)
    outcome = data["outcome"]
    notice = outcome_notice(outcome, "deleted")
    return render_box(request, "queue/_stats.html", stale=("browse",), stats_notice=notice, outcome=outcome)


@never_cache
@require_POST
@change_required
def process(request: PanelRequest) -> HttpResponse:
    """Process the queue now: qmail-send retries every queued message (svc -a)."""
    try:
        writes.change(request, Op.QUEUE_PROCESS, {}, [intended("service qmail-send", "svc -a")])
    except agent.AgentError as exc:
        return render_box(request, "queue/_process.html", process_error=exc.message)
    return render_box(
        request, "queue/_process.html", process_notice="qmail-send was told to process the queue now."
    )
