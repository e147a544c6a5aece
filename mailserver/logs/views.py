"""The Mail Logs page: one agent round trip per query (logs.report) and per timeline (logs.message).

Queries are GETs: reading logs changes nothing, and a query's URL can be bookmarked or shared.
With htmx the form and its results are swapped as one panel, so the admin's input stays on
screen whatever happens (form errors beside their fields, the agent down, a refusal).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mailserver.core import agent
from mailserver.core.nodes import PanelRequest
from mailserver.core.permissions import view_required
from mailserver.protocol import Op

from .forms import LogQueryForm, MessageForm
from .present import chart_data, table_rows

QUERY_FIELDS = frozenset(LogQueryForm.base_fields)
# Reading a week of a busy server's log takes tens of seconds; a read is safe to wait for
# (gunicorn's --timeout in the demo and deploy files is above this).
LOG_TIMEOUT = 60.0


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@view_required
def page(request: PanelRequest) -> HttpResponse:
    """The form; with a query in the URL, its report, chart and table too."""
    context: dict[str, Any] = {}
    if QUERY_FIELDS & request.GET.keys():
        form = LogQueryForm(request.GET)
        if form.is_valid():
            context.update(run_report(form, request.node))
    else:
        form = LogQueryForm()
    context["form"] = form
    template = "logs/_panel.html" if _is_htmx(request) else "logs/page.html"
    return render(request, template, context)


def run_report(form: LogQueryForm, node: str) -> dict[str, Any]:
    """Ask the agent for the report; a refusal goes beside its field, an outage above the form."""
    try:
        data = agent.call(Op.LOGS_REPORT, form.payload(), node=node, timeout=LOG_TIMEOUT)
    except agent.AgentRefused as exc:
        form.add_agent_error(exc.field, exc.message)
        return {}
    except agent.AgentError as exc:
        return {"agent_error": exc.message}
    return {
        "result": data,
        "rows": table_rows(data["columns"], data["rows"]),
        "chart": chart_data(data["series"]),
        "is_show": data["report"].startswith("show-"),
    }


@view_required
def message(request: PanelRequest) -> HttpResponse:
    """One message's timeline, for the panel beside the table (or as a page without htmx)."""
    form = MessageForm(request.GET)
    context: dict[str, Any] = {"timeline_form": form}
    if form.is_valid():
        payload = {"id": form.cleaned_data["id"], "at": form.cleaned_data["at"]}
        try:
            context["timeline"] = agent.call(
                Op.LOGS_MESSAGE, payload, node=request.node, timeout=LOG_TIMEOUT
            )
        except agent.AgentRefused as exc:
            context["timeline_error"] = exc.message
        except agent.AgentError as exc:
            context["agent_error"] = exc.message
    else:
        context["timeline_error"] = "Give a message number and the time of one of its lines."
    template = "logs/_timeline.html" if _is_htmx(request) else "logs/message.html"
    return render(request, template, context)
