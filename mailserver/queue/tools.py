"""The page's other tools: a test message followed live through the send log, the reset of the
queue (the guide's seven steps) and the queue check.

Following a message is htmx polling without script of ours: each answer of ``follow`` carries
the next request (``hx-trigger="load delay:2s"``) until the message has left the queue or the
time limit passed, then none.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from mailserver.core import agent
from mailserver.core.nodes import PanelRequest
from mailserver.core.permissions import change_required, view_required
from mailserver.protocol import Op
from mailserver.protocol.records import intended
from mailserver.qmail.queue.reset import TITLES as RESET_TITLES

from . import writes
from .forms import InjectForm
from .views import focus_first_error, render_box

FOLLOW_SECONDS = 120  # how long the page follows a test message before it stops asking
POLL_SECONDS = 2
TEST = "queue/_test.html"
RESET = "queue/_reset.html"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16}")  # a reset's progress token, as secrets.token_urlsafe(12) makes it


@never_cache
@require_POST
@change_required
def test_message(request: PanelRequest) -> HttpResponse:
    form = InjectForm(request.POST)
    if not form.is_valid():
        focus_first_error(request, form)
        return render_box(request, TEST, inject_form=form)
    payload = form.payload()
    intent = [intended("queue", "test message", f"From: {payload['from']}\nTo: {payload['to']}\n")]
    try:
        data = writes.change(request, Op.QUEUE_INJECT, payload, intent)
    except agent.AgentRefused as exc:
        field = InjectForm.FIELDS.get(exc.field or "")
        form.add_error(field, exc.message)
        focus_first_error(request, form)
        return render_box(request, TEST, inject_form=form)
    except agent.AgentError as exc:
        return render_box(request, TEST, inject_form=form, test_error=exc.message)
    sent = {"id": data.get("id"), "at": data.get("at"), "found_in": data.get("found_in")}
    return render_box(
        request, TEST, stale=("stats", "browse"), inject_form=form, sent=sent, follow=_follow_start(sent)
    )


def _follow_start(sent: dict[str, Any]) -> dict[str, Any] | None:
    if not sent["id"] or not sent["at"]:
        return None
    return {"id": sent["id"], "at": sent["at"], "next": True, "waited": 0}


@never_cache
@require_GET
@view_required
def follow(request: PanelRequest) -> HttpResponse:
    """The test message's timeline so far (LOGS_MESSAGE); asks again in 2 s until it ended."""
    try:
        number, at = int(request.GET["id"]), float(request.GET["at"])
    except (KeyError, ValueError):
        return render(request, "queue/_follow.html", {"follow_error": "Which message? Give id and at."})
    waited = time.time() - at
    context: dict[str, Any] = {"id": number, "at": at, "waited": int(waited)}
    try:
        timeline = agent.call(Op.LOGS_MESSAGE, {"id": number, "at": at}, node=request.node, timeout=10)
    except agent.AgentRefused:
        timeline = None  # not in the send log yet: qmail-send has not picked it up
    except agent.AgentError as exc:
        # A busy or restarting agent: said, and asked again at the next turn (the follow went
        # on showing "following…" while it had stopped asking for good).
        context["follow_error"] = exc.message
        context["asked_at"] = time.time()
        timeline = None
    context["timeline"] = timeline
    ended = bool(timeline and timeline.get("ended"))
    context["ended"] = ended
    context["gave_up"] = not ended and waited >= FOLLOW_SECONDS
    context["next"] = not ended and not context["gave_up"]
    return render(request, "queue/_follow.html", {"follow": context})


@never_cache
@require_POST
@change_required
def reset(request: PanelRequest) -> HttpResponse:
    """Reset the queue: a confirmation first, then the agent's seven steps with their outcome.

    The confirmation carries a fresh token: the agent writes the steps done so far under it, and
    the page asks for them every second (``reset_progress``) until the reset's answer replaces the box.
    """
    if request.POST.get("confirm") != "yes":
        return render_box(request, RESET, reset_confirm=True, reset_token=secrets.token_urlsafe(12))
    payload: dict[str, Any] = {"confirm": True}
    token = request.POST.get("progress", "")
    if TOKEN.fullmatch(token):
        payload["progress"] = token
    try:
        done = writes.change(request, Op.QUEUE_RESET, payload, writes.queue_intent("reset"))
    except agent.AgentError as exc:
        return render_box(request, RESET, reset_error=exc.message)
    return render_box(request, RESET, stale=("stats", "browse"), reset_done=done)


@never_cache
@require_GET
@view_required
def reset_progress(request: PanelRequest) -> HttpResponse:
    """The steps of the reset under way so far; asks again in a second until it finished."""
    token = request.GET.get("token", "")
    context: dict[str, Any] = {"token": token, "titles": RESET_TITLES}
    if not TOKEN.fullmatch(token):
        context["progress_error"] = "Which reset? Its token is missing."
        return render(request, "queue/_reset_progress.html", context)
    try:
        progress = agent.call(Op.QUEUE_RESET_PROGRESS, {"progress": token}, node=request.node, timeout=5)
    except agent.AgentError as exc:
        progress = {"steps": [], "finished": False}
        context["progress_error"] = exc.message
    done = {step["number"]: step for step in progress["steps"]}
    context["steps"] = [
        done.get(number) or {"number": number, "title": title, "status": "waiting", "detail": ""}
        for number, title in enumerate(RESET_TITLES, 1)
    ]
    context["again"] = not progress["finished"] and "progress_error" not in context
    return render(request, "queue/_reset_progress.html", context)


@never_cache
@require_GET
@view_required
def check(request: PanelRequest) -> HttpResponse:
    """The queue check (queue-repair's test mode), grouped by kind. It changes nothing."""
    try:
        report = writes.read(request, Op.QUEUE_CHECK)
    except agent.AgentError as exc:
        return render_box(request, "queue/_check.html", check_error=exc.message)
    kinds: dict[str, list[dict[str, Any]]] = {}
    for problem in report["problems"]:
        kinds.setdefault(problem["kind"], []).append(problem)
    return render_box(request, "queue/_check.html", check=report, check_kinds=sorted(kinds.items()))
