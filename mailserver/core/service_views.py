"""Service cards and their buttons, for every page: start, stop, restart, start at boot,
Auto-Restart, and setting up a missing service under daemontools.

One URL per service and action (``/services/NAME/ACTION/``, ACTION also ``auto-restart`` and
``setup``) whatever page the card is on.
Stop and Restart first answer with a confirmation that says what stops working meanwhile
(a GET, or a POST without ``confirm=yes``); only the confirmed POST reaches the agent. With
htmx the answer is the card (or the confirmation) swapped in place; without it, a full
confirmation page, then a redirect back to the page the button was pressed on.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mailserver.protocol import Op
from mailserver.protocol.mda import AutoRestart
from mailserver.protocol.records import intended
from mailserver.protocol.state import ServiceStatus
from mailserver.services import registry
from mailserver.services.actions import Action, consequence, parse
from mailserver.services.registry import Service

from . import agent
from .htmx import is_htmx as _is_htmx
from .navigation import PAGES_BY_SLUG
from .nodes import PanelRequest
from .permissions import change_required, view_required


def page_url(service: Service) -> str:
    return PAGES_BY_SLUG[service.page.value].url()


def _safe(request: HttpRequest, url: str | None) -> str | None:
    """``url`` as a path on this site, or None when it points anywhere else."""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(url)
    if not parts.path.startswith("/"):  # "mta/" would resolve against /services/NAME/ACTION/
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def return_url(request: HttpRequest, service: Service, *, on_page: bool = False) -> str:
    """Where the admin goes back to: the page the card was shown on.

    An explicit ``next``; else, inside an htmx request (a section re-rendered after a save),
    the page in the browser's address bar; else, for a card drawn by a page's own GET
    (``on_page``), that page; else the service's own page. Only ever a URL on this site.
    """
    candidates = [request.POST.get("next"), request.GET.get("next")]
    if _is_htmx(request):
        candidates.append(request.headers.get("HX-Current-URL"))
    elif on_page and request.method == "GET":
        candidates.append(request.get_full_path())
    for candidate in candidates:
        safe = _safe(request, candidate)
        if safe:
            return safe
    return page_url(service)


def unknown_status(name: str) -> dict[str, Any]:
    """What a card shows when the agent could not say."""
    return {"name": name, "state": "unknown", "summary": "", "installed": False, "exists": False}


def card_context(
    request: HttpRequest,
    status: ServiceStatus | dict[str, Any],
    *,
    error: str | None = None,
    on_page: bool = False,
    back_to: str | None = None,
) -> dict[str, Any]:
    """Everything templates/components/service_card.html needs besides ``can_change``.

    ``focus`` says where htmx puts the focus when the card is swapped in: nowhere on a page's own
    GET, the state line after an action (the pressed button may be gone or disabled), and the
    Stop… or Restart… button (``back_to``) after its confirmation was cancelled.
    """
    service = registry.get(status["name"])
    return {
        "status": status,
        "service": service,
        "next": return_url(request, service, on_page=on_page),
        "focus": "" if on_page else (back_to or "state"),
        "service_error": error,
    }


def _service(name: str) -> Service:
    try:
        return registry.get(name)
    except registry.UnknownService:
        raise Http404(f"{name!r} is not a service this panel manages") from None


def _read(request: PanelRequest, service: Service) -> tuple[ServiceStatus | dict[str, Any], str | None]:
    try:
        found: dict[str, ServiceStatus] = agent.call(
            Op.SERVICE_STATUS, {"services": [service.name]}, node=request.node
        )
        return found[service.name], None
    except agent.AgentError as exc:
        return unknown_status(service.name), exc.message


_ASKED_FIRST = {action.value for action in Action if action.needs_confirmation}


@require_GET
@view_required
def card(request: PanelRequest, name: str) -> HttpResponse:
    """The card alone, as it is now (htmx's Cancel of a confirmation, a refresh).

    A Cancel names the action it cancels (``back_to``) so the card comes back with the focus on
    that action's button: the server decides it, not a script racing the swap.
    """
    status, error = _read(request, _service(name))
    back_to = request.GET.get("back_to")
    context = card_context(request, status, error=error, back_to=back_to if back_to in _ASKED_FIRST else None)
    return render(request, "components/service_card.html", context)


def _confirm(request: HttpRequest, service: Service, action: Action) -> HttpResponse:
    context = {
        "service": service,
        "action": action,
        "consequence": consequence(service, action),
        "next": return_url(request, service),
    }
    if _is_htmx(request):
        return render(request, "components/service_confirm.html", context)
    return render(request, "core/service_confirm.html", context)


@require_http_methods(["GET", "POST"])
@change_required
def service_action(request: PanelRequest, name: str, action: str) -> HttpResponse:
    # The card's other two buttons share the URL: /services/NAME/auto-restart/ and /services/NAME/setup/.
    if action == "auto-restart":
        return auto_restart(request, name)
    if action == "setup":
        return setup(request, name)
    service = _service(name)
    act = parse(action)
    if act is None:
        raise Http404(f"{action!r} is not something a service can be asked to do")
    if act.needs_confirmation and (request.method == "GET" or request.POST.get("confirm") != "yes"):
        return _confirm(request, service, act)
    if request.method == "GET":
        return HttpResponseNotAllowed(["POST"])
    if act.boot:
        op, payload = Op.SERVICE_BOOT, {"service": service.name, "enabled": act is Action.BOOT_ON}
    else:
        op, payload = Op.SERVICE_CONTROL, {"service": service.name, "action": act.value}
    status: ServiceStatus | dict[str, Any] | None = None
    error = None
    try:
        status = agent.change(request, op, payload, [intended(f"service {service.name}", act.value)])[
            "status"
        ]
    except agent.AgentError as exc:
        error = exc.message
    if not _is_htmx(request):
        if error:
            messages.error(request, f"{service.name}: {error}")
        elif status is not None and status.get("state") == "failing":
            messages.error(request, f"{service.name} keeps failing: {status.get('failing')}")
        else:
            messages.success(request, f"{service.name} {act.done}.")
        return redirect(return_url(request, service))
    if status is None:
        status, _ = _read(request, service)
    return render(request, "components/service_card.html", card_context(request, status, error=error))


def auto_restart_context(
    request: HttpRequest,
    service: Service,
    auto_restart: AutoRestart | None,
    *,
    exists: bool = True,
    error: str | None = None,
    on_page: bool = False,
) -> dict[str, Any]:
    """Everything templates/components/auto_restart.html needs besides ``can_change``."""
    return {
        "service": service,
        "auto_restart": auto_restart,
        "exists": exists,
        "next": return_url(request, service, on_page=on_page),
        "auto_restart_error": error,
    }


def _unknown_auto_restart(enabled: bool) -> AutoRestart:
    """What the box shows when a change was refused or lost: the setting as the page had it."""
    return {
        "enabled": enabled, "intent": None, "last_restart": None, "last_event": None,
        "checked_at": None, "watchdog_running": True,
    }  # fmt: skip


@require_POST
@change_required
def auto_restart(request: PanelRequest, name: str) -> HttpResponse:
    """Turn Auto-Restart on (``enabled=on``) or off; the watchdog's next check acts on it."""
    service = _service(name)
    enabled = request.POST.get("enabled") == "on"
    word = "on" if enabled else "off"
    state: AutoRestart = _unknown_auto_restart(not enabled)
    error = None
    try:
        answer = agent.change(
            request,
            Op.SERVICE_AUTO_RESTART,
            {"service": service.name, "enabled": enabled},
            [intended(f"service {service.name}", f"auto-restart {word}")],
        )
        state = answer["auto_restart"]
    except agent.AgentError as exc:
        error = exc.message
    if not _is_htmx(request):
        if error:
            messages.error(request, f"{service.name}: Auto-Restart was not turned {word}: {error}")
        else:
            messages.success(request, f"Auto-Restart is {word} for {service.name}.")
        return redirect(return_url(request, service))
    context = auto_restart_context(request, service, state, error=error)
    return render(request, "components/auto_restart.html", {**context, "focus": True})


@require_POST
@change_required
def setup(request: PanelRequest, name: str) -> HttpResponse:
    """Put a missing service under daemontools with the panel's run script, stopped.

    The page is shown again whole (no htmx swap): a new service changes more of it than its card.
    """
    service = _service(name)
    if not service.setup:
        raise Http404(f"the panel does not set up {service.name}")
    try:
        agent.change(
            request,
            Op.SERVICE_SETUP,
            {"service": service.name},
            [intended(f"service {service.name}", "create")],
        )
    except agent.AgentError as exc:
        messages.error(request, f"{service.name} was not set up: {exc.message}")
    else:
        messages.success(
            request,
            f"{service.name} is set up under daemontools, stopped and not starting at boot: "
            "start it when its configuration is ready.",
        )
    return redirect(return_url(request, service))
