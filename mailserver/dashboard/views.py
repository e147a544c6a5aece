"""The dashboard: the page after login, and the fragment of it that refreshes itself (htmx).

Two agent reads per refresh: ``QUEUE_STATS`` (counts and the mail host's figures; cheap on an
unchanged queue) and ``SERVICE_STATUS``. When the agent cannot be reached the second is not
tried, so a refresh waits for one timeout, not two.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from mailserver.core import agent
from mailserver.core.models import Change
from mailserver.core.navigation import PAGES_BY_SLUG
from mailserver.core.nodes import PanelRequest
from mailserver.core.permissions import view_required
from mailserver.protocol import Op

from . import present, samples

REFRESH_SECONDS = 10


def _queue_url() -> str:
    # The Mail Queue page may not be built yet: then its "not built yet" placeholder.
    page = PAGES_BY_SLUG.get("queue")
    return page.url() if page else ""


def live_context(request: PanelRequest) -> dict[str, Any]:
    """Everything the refreshing part shows; records a queue sample when one is due."""
    node = request.node
    context: dict[str, Any] = {
        "queue_url": _queue_url(),
        "refresh_seconds": REFRESH_SECONDS,
        "sample_minutes": f"{samples.interval().total_seconds() / 60:g}",
    }
    stats = None
    reachable = True
    try:
        stats = agent.call(Op.QUEUE_STATS, node=node)
    except agent.AgentRefused as exc:  # the agent answered: no queue there, say why
        context["queue_error"] = exc.message
    except agent.AgentError as exc:
        context["agent_error"] = exc.message
        reachable = False
    now = timezone.now()
    if stats is not None:
        context["counts"] = stats["counts"]
        context["counted_at"] = samples.point_of(stats).at
        context["system"] = present.system_figures(stats.get("system") or {})
        samples.record_if_due(node, stats)
    stored = samples.points(node, now - samples.KEEP)
    context["samples"] = len(stored)
    if stats is not None and (not stored or stored[-1].at < samples.point_of(stats).at):
        stored.append(samples.point_of(stats))  # the chart ends at the counts shown beside it
    end = max(now, stored[-1].at) if stored else now
    context["chart"] = present.chart(stored, end - samples.KEEP, end, samples.interval())
    context["growing"] = present.growth_notes(samples.growth(node, now))
    statuses: dict[str, Any] = {}
    if reachable:
        try:
            statuses = agent.call(Op.SERVICE_STATUS, {}, node=node)
        except agent.AgentError as exc:
            context["services_error"] = exc.message
    pages = {slug: page.url() for slug, page in PAGES_BY_SLUG.items()}
    context["services"] = present.service_rows(statuses, pages)
    return context


@require_GET
@view_required
def page(request: PanelRequest) -> HttpResponse:
    context = live_context(request)
    context["recent"] = Change.objects.all()[:8]
    return render(request, "dashboard/page.html", context)


@require_GET
@view_required
def live(request: PanelRequest) -> HttpResponse:
    """The part of the page that htmx fetches every REFRESH_SECONDS."""
    return render(request, "dashboard/_live.html", live_context(request))
