"""The Virus Filtering page's own view: clamd's verdict on the EICAR test string. The page and its
save are the shared sections flow (mailserver/core/sections/flow.py), declared in ``sections.py``."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from mailserver.core import agent
from mailserver.core.htmx import is_htmx
from mailserver.core.nodes import PanelRequest
from mailserver.core.permissions import view_required
from mailserver.core.sections import flow
from mailserver.protocol import Op

from .sections import PAGE


@never_cache
@require_POST
@view_required  # a read: the harmless test string is sent to clamd, nothing on the server changes
def scan_eicar(request: PanelRequest) -> HttpResponse:
    verdict: dict[str, Any] = {}
    try:
        verdict["verdict"] = agent.call(Op.VIRUS_SCAN_EICAR, node=request.node)
    except agent.AgentRefused as exc:
        verdict["scan_error"] = exc.message  # clamd does not answer on …
    except agent.AgentError as exc:
        verdict["scan_agent_error"] = exc.message
    if is_htmx(request):
        return render(request, "virus/_eicar_result.html", verdict)
    # Without htmx, the whole page with the verdict in its place.
    state, error = flow.read_state(request, PAGE)
    context: dict[str, Any] = {"page": PAGE, "state": state, "agent_error": error, **verdict}
    if state is not None:
        boxes = [flow.box(PAGE, s, s.form(state=state, prefix=s.slug), state) for s in PAGE.sections]
        context.update(boxes=boxes, **(PAGE.extra_context(state) if PAGE.extra_context else {}))
    return render(request, PAGE.template, context)
