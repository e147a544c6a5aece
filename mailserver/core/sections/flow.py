"""One flow for every box of every page: show, save, refused, conflict, agent down.

Showing a page is one agent round trip (the page's read); a save is one more (the section's
operation, which writes and reads back). A save is validated against what the admin saw (the
form's ``seen``), and the agent refuses a file that changed meanwhile or was edited by hand,
so no read is needed first; only the slower paths (invalid input, refusals) read the state to
show the whole box again. With htmx a save answers with its box alone; without, the whole page,
landed at the box's answer (see ``answer_id``).
Pages that edit the server are never cached: a page restored from the browser's history would
show values the server no longer holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from mailserver.core import agent
from mailserver.core.permissions import change_required, view_required
from mailserver.protocol.errors import ErrorKind

from ..htmx import is_htmx
from .declaration import Section, SectionPage
from .effects import describe_effects
from .forms import SectionForm

State = Mapping[str, Any]
CHANGED_MEANWHILE = (
    "Not saved: the server no longer holds what this page showed (it was changed elsewhere, or the page "
    "came from the browser's history). What it holds now is said beside each field that changed; save "
    "again to write what the box shows."
)
# The session key of a save's notice without htmx, kept for the page the save redirects to.
LANDED = "sections.landed"


@dataclass(frozen=True)
class Refusal:
    kind: ErrorKind
    field: str | None
    message: str

    @classmethod
    def of(cls, exc: agent.AgentRefused) -> Refusal:
        kind = exc.kind if exc.kind in set(ErrorKind) else ErrorKind.FAILED
        return cls(ErrorKind(kind), exc.field, exc.message)


def read_state(request: HttpRequest, page: SectionPage) -> tuple[State | None, str | None]:
    try:
        return page.shaped(agent.call(page.read, node=request.node)), None  # type: ignore[attr-defined]
    except agent.AgentError as exc:
        return None, exc.message


def answer_id(section: Section) -> str:
    """Where a save without htmx lands: the box's answer (its errors, or its notice), at its top.

    The form's action carries it as a fragment, which the browser keeps for the page that answers
    the post (a refused save) and for the redirect after a save (whose Location names it too). A
    fragment's target that can take focus gets it, so the answer is read out and the next Tab
    goes on into the box; ``autofocus`` would not do (a browser ignores it on a page opened at a
    fragment). With htmx no page is loaded, so nothing scrolls and this answer is never shown.
    """
    return f"section-{section.slug}-answer"


def box(page: SectionPage, section: Section, form: SectionForm, state: State, **extra: Any) -> dict[str, Any]:
    """The context of one section card; ``landed`` (with ``notice`` or errors) for the one a save
    without htmx lands at."""
    # Help texts and errors quote the server's files: they are plain text, escaped by the templates
    # (templates/bootstrap5/layout/help_text.html), never marked safe.
    services = state.get("services") or {}
    scripts = state.get("scripts") or {}
    save_url = reverse(f"{page.namespace}:save", args=[section.slug])
    return {
        "page": page,
        "section": section,
        "form": form,
        "state": state,
        "services": [services[name] for name in section.services if name in services],
        "script": scripts.get(section.run_script) if section.run_script else None,
        "save_url": save_url,
        "action_url": f"{save_url}#{answer_id(section)}",
        "answer_id": answer_id(section),
        "error_count": form.error_count(),
        **extra,
    }


def whole_page(
    request: HttpRequest,
    page: SectionPage,
    state: State | None,
    error: str | None = None,
    made: Mapping[str, dict[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """The whole page; ``made`` holds, by slug, a box already made (a bound form and its notes);
    ``extra`` replaces parts of the page's own context (a tool's answer, for a post without htmx)."""
    context: dict[str, Any] = {"page": page, "state": state, "agent_error": error}
    made = made or {}
    if state is not None:
        context["boxes"] = [
            made.get(s.slug) or box(page, s, s.form(state=state, prefix=s.slug), state) for s in page.sections
        ]
        if page.extra_context:
            context.update(page.extra_context(state))
    context.update(extra or {})
    return render(request, page.template, context)


@never_cache
@view_required
def show(request: HttpRequest, page: SectionPage) -> HttpResponse:
    state, error = read_state(request, page)
    return whole_page(request, page, state, error, made=_landed(request, page, state))


def _landed(request: HttpRequest, page: SectionPage, state: State | None) -> dict[str, dict[str, Any]]:
    """The box a save without htmx redirected to, with its notice (once: a reload shows none)."""
    landed: dict[str, Any] = request.session.get(LANDED) or {}
    if landed.get("page") != page.namespace:
        return {}
    del request.session[LANDED]  # even when the page cannot be shown: a later visit must not say it
    section = page.section(landed.get("slug", ""))
    if state is None or section is None:
        return {}
    form = section.form(state=state, prefix=section.slug)
    made = box(page, section, form, state, notice=landed["notice"], saved=landed["saved"], landed=True)
    return {section.slug: made}


def _respond(
    request: HttpRequest, page: SectionPage, section: Section, form: SectionForm, state: State, **extra: Any
) -> HttpResponse:
    made = box(page, section, form, state, **extra)
    if is_htmx(request):
        return render(request, "sections/_section.html", {"box": made})
    # Without htmx a full page is shown: the bound form keeps the admin's input and errors, listed
    # at the box's top, where the browser lands (answer_id).
    made["landed"] = True
    return whole_page(request, page, state, made={section.slug: made})


@never_cache
@require_POST
@change_required
def save(request: HttpRequest, page: SectionPage, slug: str) -> HttpResponse:
    section = page.section(slug)
    if section is None:
        raise Http404
    form = section.form(request.POST, state=None, prefix=slug)
    if not form.is_valid():
        return _again(request, page, section, request.POST)
    try:
        result = agent.change(request, section.op, form.payload(), form.intended(), timeout=section.timeout)
    except agent.AgentRefused as exc:
        return _refused(request, page, section, form, Refusal.of(exc))
    except agent.AgentError as exc:
        # Unreachable or unconfirmed: nothing is claimed; the typed input stays in the browser.
        return _agent_down(
            request, page, section, exc.message, unconfirmed=isinstance(exc, agent.AgentTimeout)
        )
    fresh = _fresh_state(request, page, section, result)
    if not result["changes"] and form.changed_on_server(fresh):
        # Nothing to write as far as the page could tell, but the server holds something else.
        return _refused(
            request, page, section, form, Refusal(ErrorKind.CONFLICT, None, CHANGED_MEANWHILE), fresh
        )
    notice = (page.describe or describe_effects)(result, fresh)
    saved = bool(result["changes"])
    if not is_htmx(request):
        # The notice is shown in the box, not above the page: the browser lands there.
        request.session[LANDED] = {"page": page.namespace, "slug": slug, "notice": notice, "saved": saved}
        return redirect(f"{reverse(f'{page.namespace}:page')}#{answer_id(section)}")
    return _respond(
        request, page, section, section.form(state=fresh, prefix=slug), fresh, notice=notice, saved=saved
    )


def _fresh_state(
    request: HttpRequest, page: SectionPage, section: Section, result: Mapping[str, Any]
) -> State:
    """The page's state after a save: the operation's answer, or the page read again when the
    operation answers with one part of it (should that read fail, with that part alone)."""
    if section.answers_part is None:
        return page.shaped(result["state"])
    state, _ = read_state(request, page)
    return state if state is not None else page.shaped({section.answers_part: result["state"]})


def _agent_down(
    request: HttpRequest, page: SectionPage, section: Section, error: str, unconfirmed: bool = False
) -> HttpResponse:
    """The agent could not be reached (nothing sent) or did not answer in time (not confirmed)."""
    context = {
        "page": page,
        "section": section,
        "agent_error": error,
        "posted": request.POST,
        "unconfirmed": unconfirmed,
        "back_url": f"{reverse(f'{page.namespace}:page')}#section-{section.slug}",  # back to the box
    }
    if is_htmx(request):
        # Swap only the alert: the form in the browser keeps what the admin typed.
        response = render(request, "sections/_agent_down.html", context)
        response["HX-Retarget"] = f"#section-{section.slug} .agent-status"
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "sections/agent_down_page.html", context, status=503)


def _again(
    request: HttpRequest,
    page: SectionPage,
    section: Section,
    data: QueryDict,
    state: State | None = None,
    refusal: Refusal | None = None,
) -> HttpResponse:
    """The box again with the admin's input, its errors and the server's current state."""
    if state is None:
        state, down = read_state(request, page)
        if state is None:
            return _agent_down(request, page, section, down or "")
    form = section.form(data, state=state, prefix=section.slug)
    form.is_valid()
    extra: dict[str, Any] = {}
    if refusal is not None:
        posted_seen = request.POST.get(form.add_prefix("seen"), "{}")
        extra = form.explain_refusal(refusal.kind, state, posted_seen)
        field = form.hand_edit_field() if refusal.kind == ErrorKind.HAND_EDIT else refusal.field
        form.add_field_error(field, refusal.message)
    return _respond(request, page, section, form, state, **extra)


def _refused(
    request: HttpRequest,
    page: SectionPage,
    section: Section,
    form: SectionForm,
    refusal: Refusal,
    state: State | None = None,
) -> HttpResponse:
    """The agent's refusal beside its field, keeping the admin's input.

    After a conflict or a hand edit the admin has now seen what the server holds, so the
    next save is measured against it.
    """
    if state is None:
        state, down = read_state(request, page)
        if state is None:
            return _agent_down(request, page, section, down or "")
    data: QueryDict = request.POST
    if refusal.kind in (ErrorKind.CONFLICT, ErrorKind.HAND_EDIT):
        data = request.POST.copy()  # request.POST is immutable; its copy is not
        key = form.add_prefix("seen")
        data[key] = form.fresh_seen(request.POST.get(key, "{}"), state)
    return _again(request, page, section, data, state, refusal)
