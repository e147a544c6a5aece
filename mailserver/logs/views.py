"""The Mail Logs page: a report runs without holding the page, with progress and Cancel.

Queries are GETs: reading logs changes nothing, and a query's URL can be bookmarked or shared.
The page answers a query at once with the form and a "running" area: that area asks ``run/``
for the report (one long agent round trip, logs.report with a ``report_id`` the page made),
while a progress bar asks ``progress/<id>/`` every half second (logs.progress) and a Cancel
button posts ``cancel/<id>/`` (logs.cancel). The report's answer replaces the whole panel, so
the admin's input stays on screen whatever happens (errors beside their fields, the agent
down, a refusal, "Cancelled."). Without JavaScript, ``run/`` is a page of its own.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from mailserver.core import agent
from mailserver.core.htmx import is_htmx as _is_htmx
from mailserver.core.nodes import PanelRequest
from mailserver.core.permissions import view_required
from mailserver.protocol import Op

from .forms import OPTIONS, LogQueryForm, MessageForm
from .present import chart_data, charted, data_range, headers, newest, table_rows, trimmed

QUERY_FIELDS = frozenset(LogQueryForm.base_fields)
# From the index a whole-log report takes about a second; while the index is not ready (its first
# build) a report reads the log: tens of seconds on a gigabyte, and the page shows the progress.
REPORT_TIMEOUT = 300.0
# A timeline reads a bounded stretch of log.
LOG_TIMEOUT = 60.0
REPORT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def _panel(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """The panel (the form, and the report's area or results) alone for htmx, else in the page.

    One URL, two answers: the browser is told they differ by HX-Request, or Back from another
    page showed the panel htmx had asked for, from its cache, as the whole page (unstyled, no
    scripts, no report)."""
    response = render(request, "logs/_panel.html" if _is_htmx(request) else "logs/page.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _query(params: QueryDict, **changes: Any) -> str:
    """The query string of this report with some fields changed (paging, sorting links)."""
    query = params.copy()
    query.pop("report_id", None)
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = str(value)
    return query.urlencode()


@view_required
@require_GET
def page(request: PanelRequest) -> HttpResponse:
    """The form; with a query in the URL, the area that runs it (progress, Cancel, then results)."""
    context: dict[str, Any] = {}
    if QUERY_FIELDS & request.GET.keys():
        form = LogQueryForm(request.GET)
        if form.is_valid():
            report_id = secrets.token_urlsafe(12)
            context["run"] = {"id": report_id, "query": _query(request.GET, report_id=report_id)}
    else:
        form = LogQueryForm()
    context["form"] = form
    return _panel(request, context)


@view_required
@require_GET
def run(request: PanelRequest) -> HttpResponse:
    """Run the report; the answer is the panel again: the form as it was, and the results."""
    form = LogQueryForm(request.GET)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        report_id = request.GET.get("report_id", "")
        context.update(run_report(form, request.node, report_id if REPORT_ID.fullmatch(report_id) else None))
        if "result" in context:
            found = links(request.GET, context["result"], context["reversed"])
            context["page"] = found["page"]
            for header in context["headers"]:
                header["query"] = found["sort_query"][header["name"]]
    return _panel(request, context)


def run_report(form: LogQueryForm, node: str, report_id: str | None) -> dict[str, Any]:
    """Ask the agent for the report; a refusal goes beside its field, an outage above the form."""
    payload = form.payload() | ({"report_id": report_id} if report_id else {})
    try:
        data = agent.call(Op.LOGS_REPORT, payload, node=node, timeout=REPORT_TIMEOUT)
    except agent.AgentRefused as exc:
        if exc.kind == "cancelled":
            return {"cancelled": True}
        form.add_agent_error(exc.field, exc.message)
        return {}
    except agent.AgentError as exc:
        return {"agent_error": exc.message}
    # The agent's "Showing rows 26-50 of 319" says what the page's own paging line says.
    data["warnings"] = [w for w in data["warnings"] if not w.startswith("Showing ")]
    series, results = data["series"], charted(data["report"])
    narrow = data_range(series, data.get("newest"), results)
    if narrow is not None:
        series = _chart_over(payload, narrow, node) or series
    series = trimmed(series, data.get("newest"), results)
    sortable = data["report"] in OPTIONS["sort"]
    return {
        "result": data,
        "rows": table_rows(data["columns"], data["rows"]),
        "headers": headers(data["columns"], data["rows"], data.get("sort"), payload["reverse"], sortable),
        "chart": chart_data(series, data["report"]),
        "newest": newest(data),
        "is_show": data["report"].startswith("show-"),
        "reversed": payload["reverse"],
    }


def _chart_over(payload: dict[str, Any], span: tuple[float, float], node: str) -> dict[str, Any] | None:
    """The chart again over the stretch that has data (its buckets sized for it), or None."""
    start, end = span
    again = payload | {"period": {"start": repr(start), "end": repr(end)}, "limit": 1, "offset": 0}
    again.pop("report_id", None)
    again.pop("sort", None)
    try:
        series: dict[str, Any] = agent.call(Op.LOGS_REPORT, again, node=node, timeout=REPORT_TIMEOUT)[
            "series"
        ]
    except agent.AgentError:
        return None  # the first chart is still right, only coarse
    return series


def links(params: QueryDict, result: dict[str, Any], turned: bool) -> dict[str, Any]:
    """The rows shown ("rows 501-613 of 613"), First / Previous / Next / Last, and each header's sort link."""
    offset, limit, total = result["offset"], result["limit"], result["total_rows"]
    shown = len(result["rows"])

    def sorted_by(column: str) -> str:
        # The column the table is sorted by turns round; another starts in its natural order.
        again = column == result.get("sort") and not turned
        return _query(params, sort=column, reverse="on" if again else None, offset=None)

    # A page past the last row (a bookmarked page of a report that has fewer rows now) leads back
    # to the last page that has rows.
    past = offset >= total and offset > 0
    final = ((total - 1) // limit) * limit if total else 0  # the last page's offset
    back = final if past else max(0, offset - limit)
    return {
        "page": {
            "first": offset + 1 if shown else 0,
            "last": offset + shown,
            "total": total,
            "past": past,
            "previous": _query(params, offset=back or None) if offset else None,
            "next": _query(params, offset=offset + limit) if offset + limit < total else None,
            # show-* rows run oldest first: the newest are on the last page.
            "first_page": _query(params, offset=None) if offset > limit else None,
            "last_page": _query(params, offset=final) if final > offset + limit else None,
        },
        "sort_query": {column: sorted_by(column) for column in result["columns"]},
    }


@view_required
@require_GET
def progress(request: PanelRequest, report_id: str) -> HttpResponse:
    """How far the running report got: the bar, polled every half second until it is finished."""
    if not REPORT_ID.fullmatch(report_id):
        raise Http404
    try:
        state = agent.call(Op.LOGS_PROGRESS, {"report_id": report_id}, node=request.node)
    except agent.AgentError as exc:
        state = {"phase": "unknown", "percent": None, "finished": False, "error": exc.message}
    return render(request, "logs/_progress.html", {"run": {"id": report_id}, "progress": state})


@view_required
@require_POST
def cancel(request: PanelRequest, report_id: str) -> HttpResponse:
    """Stop the running report. It changes nothing on the server: a viewer may stop his own."""
    if not REPORT_ID.fullmatch(report_id):
        raise Http404
    try:
        agent.call(Op.LOGS_CANCEL, {"report_id": report_id}, node=request.node)
    except agent.AgentError as exc:
        return render(request, "logs/_cancel.html", {"run": {"id": report_id}, "cancel_error": exc.message})
    return render(request, "logs/_cancel.html", {"run": {"id": report_id}, "cancelling": True})


@view_required
@require_GET
def message(request: PanelRequest) -> HttpResponse:
    """One message's timeline: a table row under the message's own row (or a page without htmx)."""
    form = MessageForm(request.GET)
    context: dict[str, Any] = {"timeline_form": form}
    if form.is_valid():
        payload = {"id": form.cleaned_data["id"], "at": form.cleaned_data["at"]}
        context["cols"] = form.cleaned_data.get("cols") or 1
        try:
            context["timeline"] = agent.call(Op.LOGS_MESSAGE, payload, node=request.node, timeout=LOG_TIMEOUT)
        except agent.AgentRefused as exc:
            context["timeline_error"] = exc.message
        except agent.AgentError as exc:
            context["agent_error"] = exc.message
    else:
        context["timeline_error"] = "Give a message number and the time of one of its lines."
    template = "logs/_timeline_row.html" if _is_htmx(request) else "logs/message.html"
    return render(request, template, context)
