from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from . import agent
from .models import Change
from .navigation import PAGES_BY_SLUG


def dashboard(request):
    """Service health at a glance; the MTA state read is one agent round trip."""
    context: dict = {"recent": Change.objects.all()[:8]}
    try:
        context["state"] = agent.call("agent.mta.read_state")
    except agent.AgentError as exc:
        context["agent_error"] = exc.message
    return render(request, "core/dashboard.html", context)


def changes(request):
    page = Paginator(Change.objects.all(), 50).get_page(request.GET.get("page"))
    return render(request, "core/changes.html", {"page": page})


def change_detail(request, pk: int):
    return render(request, "core/change_detail.html", {"change": get_object_or_404(Change, pk=pk)})


def not_built(request, slug: str):
    page = PAGES_BY_SLUG.get(slug)
    if page is None or page.url_name:
        raise Http404
    return render(request, "core/not_built.html", {"page": page})
