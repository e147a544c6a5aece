"""The MTA page: one agent round trip to show it, one per save (plus the read it validates against)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mailserver.core import agent
from mailserver.core.permissions import change_required, view_required
from mailserver.qmail import control, smtproutes

from . import seen as parse_seen
from .effects import describe_effects
from .forms import RouteTestForm, display
from .sections import BY_SLUG, SECTIONS, Section

SECTION_SERVICES = {"primary": ("qmail-smtpd", "qmail-send"), "alternate": ("qmail-submission",)}


def _read_state() -> tuple[dict[str, Any] | None, str | None]:
    try:
        return agent.call("agent.mta.read_state"), None
    except agent.AgentError as exc:
        return None, exc.message


def _section_context(section: Section, form, state: dict[str, Any], **extra: Any) -> dict[str, Any]:
    # Help texts and errors quote the server's files: they are plain text, escaped by the templates
    # (templates/bootstrap5/layout/help_text.html), never marked safe.
    return {
        "section": section,
        "form": form,
        "state": state,
        "services": [state["services"][name] for name in SECTION_SERVICES.get(section.slug, ())],
        "script": state["scripts"].get("qmail-smtpd" if section.slug == "primary" else "qmail-submission"),
        **extra,
    }


@view_required
def page(request: HttpRequest) -> HttpResponse:
    state, error = _read_state()
    context: dict[str, Any] = {"agent_error": error, "state": state}
    if state:
        context["sections"] = [
            _section_context(s, s.form(state=state, prefix=s.slug), state) for s in SECTIONS
        ]
        context["route_form"] = RouteTestForm()
    return render(request, "mta/page.html", context)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _respond(request: HttpRequest, section: Section, form, state, **extra: Any) -> HttpResponse:
    if _is_htmx(request):
        return render(request, "mta/_section.html", _section_context(section, form, state, **extra))
    # Without htmx a full page is shown: the bound form keeps the admin's input and errors.
    context = {
        "state": state,
        "route_form": RouteTestForm(),
        "sections": [
            _section_context(
                s,
                form if s is section else s.form(state=state, prefix=s.slug),
                state,
                **(extra if s is section else {}),
            )
            for s in SECTIONS
        ],
    }
    return render(request, "mta/page.html", context)


@require_POST
@change_required
def save(request: HttpRequest, slug: str) -> HttpResponse:
    """Validate with the library, then one agent round trip that writes and reads back.

    The form is checked against what the admin saw (its ``seen`` field); the agent re-validates
    and refuses a file that changed meanwhile or was edited by hand, so no read is needed first.
    The slower paths (invalid input, refusals) read the server's state to show the whole box.
    """
    section = BY_SLUG.get(slug)
    if section is None:
        raise Http404
    form = section.form(request.POST, state=None, prefix=slug)
    if not form.is_valid():
        return _rerender(request, section)
    payload = form.payload()
    if (
        section.operation == "agent.mta.write_controls"
        and not payload["files"]
        and not payload.get("double_bounce_discard")
    ):
        state, error = _read_state()
        if state is None:
            return _agent_down(request, section, error or "")
        return _respond(
            request, section, section.form(state=state, prefix=slug), state, notice="Nothing changed."
        )
    try:
        result = agent.change(request, section.operation, payload, _intended(section, payload))
    except agent.AgentRefused as exc:
        return _refused(request, section, exc)
    except agent.AgentError as exc:
        # Unreachable or unconfirmed: nothing is claimed; the typed input stays in the browser.
        return _agent_down(request, section, exc.message, unconfirmed=isinstance(exc, agent.AgentTimeout))
    fresh = result["state"]
    notice = describe_effects(section, result["changes"], fresh, reset=result.get("reset") or [])
    if not _is_htmx(request):
        messages.success(request, notice)
        return redirect("mta:page")
    return _respond(
        request, section, section.form(state=fresh, prefix=slug), fresh, notice=notice, saved=True
    )


def _agent_down(
    request: HttpRequest, section: Section, error: str, unconfirmed: bool = False
) -> HttpResponse:
    """The agent could not be reached (nothing sent) or did not answer in time (not confirmed)."""
    context = {"section": section, "agent_error": error, "posted": request.POST, "unconfirmed": unconfirmed}
    if _is_htmx(request):
        # Swap only the alert: the form in the browser keeps what the admin typed.
        response = render(request, "mta/_agent_down.html", context)
        response["HX-Retarget"] = f"#section-{section.slug} .agent-status"
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "mta/agent_down_page.html", context, status=503)


def _rerender(
    request: HttpRequest, section: Section, data=None, error: agent.AgentRefused | None = None, **extra: Any
) -> HttpResponse:
    """The box again with the admin's input, its errors and the server's current state."""
    state, down = _read_state()
    if state is None:
        return _agent_down(request, section, down or "")
    form = section.form(data if data is not None else request.POST, state=state, prefix=section.slug)
    form.is_valid()
    if error is not None and error.kind == "conflict":
        _show_server_values(form, state, request.POST.get(f"{section.slug}-seen", "{}"), extra)
    if error is not None:
        field = {"rbl_zones": "zones"}.get(error.field or "", error.field)
        if error.kind == "hand_edit":
            field = "replace_hand_edits"
            service = getattr(form, "service", None)
            if service:
                extra["script_text"] = state["scripts"][service]["text"]
        form.add_error(field if field in form.fields else None, error.message)
    return _respond(request, section, form, state, **extra)


def _intended(section: Section, payload: dict[str, Any]) -> list[dict[str, Any]]:
    if "files" in payload:
        return [
            {"target": f"control/{name}", "action": "write", "after": json.dumps(item["value"])}
            for name, item in payload["files"].items()
        ]
    return [
        {
            "target": f"service {payload['service']}/run",
            "action": "write",
            "after": json.dumps(payload["params"]),
        }
    ]


def _show_server_values(form, state: dict[str, Any], posted_seen: str, extra: dict[str, Any]) -> None:
    """Beside each field whose file changed on the server since the page was read, what it holds now."""
    service = getattr(form, "service", None)
    if service:
        extra["script_text"] = state["scripts"][service]["text"] or "(the script as the panel wrote it)"
        return
    try:  # reached only after the form accepted it, but never trusted to be well formed
        seen = parse_seen.control_files(posted_seen, form.controls)
    except parse_seen.Malformed:
        seen = {}
    for name in getattr(form, "controls", ()):
        file = state["controls"][name]
        if (seen.get(name) or {}).get("sha256") != file["sha256"] and name in form.fields:
            value = display(name, file["value"]) or "(no file: qmail's default)"
            form.add_error(
                name,
                f"Changed on the server while you edited; it now holds: {value}. "
                "Save again to replace it with your value.",
            )


def _refused(request: HttpRequest, section: Section, exc: agent.AgentRefused) -> HttpResponse:
    """Show the agent's refusal beside the field, keeping the admin's input.

    After a conflict or a hand edit the admin has now seen what the server holds, so the
    next save is measured against it.
    """
    data = request.POST
    if exc.kind in ("conflict", "hand_edit"):
        state, _ = _read_state()
        if state is not None:
            data = request.POST.copy()
            key = f"{section.slug}-seen"
            fresh_seen = section.form(state=state, prefix=section.slug).initial["seen"]
            data[key] = _merge_seen(request.POST.get(key, "{}"), fresh_seen)
    return _rerender(request, section, data, exc)


def _merge_seen(old: str, new: str) -> str:
    """Keep the admin's view of files that did not change; take the server's sha for the ones that did."""
    if "sha256" in json.loads(new):  # a run script: one file
        return new
    after = json.loads(new)
    try:
        before = parse_seen.control_files(old, tuple(name for name in after if name != "_meta"))
    except parse_seen.Malformed:
        return new
    for name, item in after.items():
        # A file the admin's page did not list (a seen of "{}") takes the server's view.
        if name != "_meta" and name in before and before[name]["sha256"] == item["sha256"]:
            after[name] = before[name]
    return json.dumps(after)


@require_POST
@view_required  # a read: viewers may test routes
def route_test(request: HttpRequest) -> HttpResponse:
    form = RouteTestForm(request.POST)
    context: dict[str, Any] = {"route_form": form}
    if form.is_valid():
        state, error = _read_state()
        if state is None:
            context["agent_error"] = error
        else:
            context.update(test_route(state, form.cleaned_data["address"]))
    return render(request, "mta/_route_test.html", context)


def test_route(state: dict[str, Any], address: str) -> dict[str, Any]:
    """Which relay and port qmail-remote would use for ``address``, and whether that loops back here."""
    controls = state["controls"]
    routes = smtproutes.parse(controls["smtproutes"]["text"])
    decision = smtproutes.lookup(routes, address)
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
