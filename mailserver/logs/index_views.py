"""The delivery index's box on the Mail Logs page: how current it is, and how long it keeps rows.

The status is one quick read (logs.index), loaded after the page so the page never waits for it.
"Keep rows N days" is a change on the server (the index's settings): it needs the change
permission and is recorded in Recent changes like every save.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from mailserver.core import agent
from mailserver.core.htmx import is_htmx
from mailserver.core.nodes import PanelRequest
from mailserver.core.permissions import can_change, change_required, view_required
from mailserver.protocol import Op

from .forms import RetentionForm
from .present import index_status

TARGET = "mail log index retention"


def _box(request: PanelRequest, form: RetentionForm | None = None, **extra: Any) -> HttpResponse:
    context: dict[str, Any] = {"can_change": can_change(request.user), **extra}
    try:
        status = index_status(agent.call(Op.LOGS_INDEX, {}, node=request.node))
    except agent.AgentError as exc:
        context["index_error"] = exc.message
    else:
        context["index"] = status
        if form is None:
            form = RetentionForm(initial={"days": status.get("retention_days")})
    context["retention_form"] = form or RetentionForm()
    # Without htmx (the page's <noscript> link, a save with JavaScript off) the box comes in a page:
    # alone it was an unstyled fragment with no way back. One URL, two answers: Vary says so.
    response = render(request, "logs/_index.html" if is_htmx(request) else "logs/index.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@view_required
@require_GET
def index(request: PanelRequest) -> HttpResponse:
    return _box(request)


@change_required
@require_POST
def retention(request: PanelRequest) -> HttpResponse:
    form = RetentionForm(request.POST)
    if not form.is_valid():
        return _box(request, form)
    days = form.cleaned_data["days"]
    intended = [{"target": TARGET, "action": "write", "after": f"{days} days"}]
    try:
        agent.change(request, Op.LOGS_RETENTION, {"days": days}, intended)
    except agent.AgentRefused as exc:
        form.add_error("days" if exc.field in (None, "days") else None, exc.message)
        return _box(request, form)
    except agent.AgentError as exc:
        return _box(request, form, agent_error=exc.message)
    return _box(request, saved=f"The index keeps rows {days} days.")
