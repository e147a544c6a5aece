"""The MTA page's own view: the route tester. The page and its saves are the shared sections flow
(mailserver/core/sections/flow.py), declared in ``sections.py``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from mailserver.core.htmx import is_htmx
from mailserver.core.nodes import PanelRequest
from mailserver.core.permissions import view_required
from mailserver.core.sections.flow import read_state, whole_page
from mailserver.qmail import control, delivery, smtproutes

from .forms import RouteTestForm
from .sections import PAGE


@never_cache
@require_POST
@view_required  # a read: viewers may test routes
def route_test(request: PanelRequest) -> HttpResponse:
    form = RouteTestForm(request.POST)
    context: dict[str, Any] = {"route_form": form}
    state, error = None, None
    if form.is_valid() or not is_htmx(request):
        state, error = read_state(request, PAGE)
    if form.is_valid():
        if state is None:
            context["agent_error"] = error
        else:
            context.update(test_route(state, form.cleaned_data["address"]))
    if is_htmx(request):
        # The answer replaces the form and result; the page's live region, outside them, says it
        # (a region swapped in with its text is not read out by screen readers).
        return render(request, "mta/_route_test.html", {**context, "announce": True})
    # Without htmx the whole page, as a box's save answers; the form's action ends in
    # #route-tester, so the browser shows the answer in its place.
    return whole_page(request, PAGE, state, error, extra=context)


def test_route(state: Mapping[str, Any], address: str) -> dict[str, Any]:
    """Whether qmail delivers ``address`` here, else which relay and port qmail-remote would use,
    and whether that loops back here."""
    controls = state["controls"]
    routes = smtproutes.parse(controls["smtproutes"]["text"])
    decision = delivery.decide(routes, address, {name: c["value"] for name, c in controls.items()})
    names = [
        controls["me"]["value"] or "",
        *(controls["locals"]["value"] or []),
        *(controls["rcpthosts"]["value"] or []),
    ]
    ports = [25] + [s["params"]["port"] for s in state["scripts"].values() if s["exists"] and s["params"]]
    loops = smtproutes.points_back(decision, names, state["local_addresses"], ports)
    warnings = smtproutes.warnings_for(routes)
    return {
        "decision": decision,
        "loops": loops,
        "route_warnings": warnings,
        "routes_file_changed": not controls["smtproutes"]["canonical"],
        "control_spec": control.SPECS["smtproutes"],
    }
