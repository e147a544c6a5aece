"""The Virus Filtering page's own view: clamd's verdict on the EICAR test string. The page and its
save are the shared sections flow (mailserver/core/sections/flow.py), declared in ``sections.py``."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from mailserver.core import agent
from mailserver.core.nodes import PanelRequest
from mailserver.core.permissions import view_required
from mailserver.protocol import Op


@never_cache
@require_POST
@view_required  # a read: the harmless test string is sent to clamd, nothing on the server changes
def scan_eicar(request: PanelRequest) -> HttpResponse:
    context: dict[str, Any] = {}
    try:
        context["verdict"] = agent.call(Op.VIRUS_SCAN_EICAR, node=request.node)
    except agent.AgentRefused as exc:
        context["scan_error"] = exc.message  # clamd does not answer on …
    except agent.AgentError as exc:
        context["agent_error"] = exc.message
    return render(request, "virus/_eicar.html", context)
