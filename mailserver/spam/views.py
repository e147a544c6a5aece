"""The Spam Filtering page's own buttons: score the GTUBE test message, and train Bayes now.

The page and its saves are the shared sections flow (mailserver/core/sections/flow.py),
declared in ``sections.py``. With htmx each button answers with its result alone; without,
with a message on the page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mailserver.core import agent
from mailserver.core.htmx import is_htmx
from mailserver.core.models import ChangeResult
from mailserver.core.nodes import PanelRequest
from mailserver.core.permissions import change_required, view_required
from mailserver.protocol import Op

TRAIN_TIMEOUT = 120.0  # sa-learn over every mailbox's two folders
TRAINING_TARGET = "spamassassin Bayes IMAP training run"
STILL_RUNNING = (
    f"Still running, or not known: no answer came within {TRAIN_TIMEOUT:g} s, and the run may still finish. "
    "Reload the page later: the Last run line shows the run once it is done. "
    "Press Train now again only if it does not."
)


@require_POST
@view_required  # a read: spamd scores a message and nothing is kept
def gtube(request: PanelRequest) -> HttpResponse:
    context: dict[str, Any] = {}
    try:
        context["verdict"] = agent.call(Op.SPAM_SCAN_GTUBE, node=request.node)
    except agent.AgentError as exc:
        context["gtube_error"] = exc.message
    if is_htmx(request):
        return render(request, "spam/_gtube.html", context)
    messages.info(request, gtube_text(context))
    return redirect("spam:page")


def gtube_text(context: dict[str, Any]) -> str:
    if "gtube_error" in context:
        return f"GTUBE not scored: {context['gtube_error']}"
    verdict = context["verdict"]
    said = "spam" if verdict["spam"] else "not spam"
    return f"spamd scored GTUBE {verdict['score']:g} of {verdict['threshold']:g}: {said}."


@require_POST
@change_required  # it empties the training folders, as the daily run does
def train_now(request: PanelRequest) -> HttpResponse:
    context: dict[str, Any] = {}
    try:
        answer = agent.call(Op.SPAM_TRAIN_NOW, node=request.node, timeout=TRAIN_TIMEOUT)
    except agent.AgentError as exc:
        agent.record(request.user, request.node, [{"target": TRAINING_TARGET, "action": "run"}], exc.result,
                     exc.message)  # fmt: skip
        if isinstance(exc, agent.AgentTimeout):
            # The run was sent: sa-learn over many mailboxes may outlast the wait, and "Not trained"
            # sent the admin to press Train now again beside a run still going.
            context["train_pending"] = STILL_RUNNING
        else:
            context["train_error"] = exc.message
    else:
        run = answer["run"]
        done = [{"target": TRAINING_TARGET, "action": "run", "after": learned(run)}]
        agent.record(request.user, request.node, done, ChangeResult.APPLIED)
        # The box's last-run line comes with the answer: the run just made, as the page would show it.
        context |= {"run": run, "summary": train_text(run), "training": answer["state"]}
    if is_htmx(request):
        return render(request, "spam/_train_result.html", context)
    if "train_error" in context:
        messages.error(request, f"Not trained: {context['train_error']}")
    elif "train_pending" in context:
        messages.warning(request, context["train_pending"])
    elif context["run"]["errors"]:
        messages.warning(request, context["summary"])
    else:
        messages.success(request, context["summary"])
    return redirect("spam:page")


def learned(run: dict[str, Any]) -> str:
    mailboxes = run["mailboxes"]
    return (
        f"learned {run['learned']['spam']} spam and {run['learned']['ham']} ham "
        f"from {mailboxes} mailbox{'' if mailboxes == 1 else 'es'}"
    )


def train_text(run: dict[str, Any]) -> str:
    """What a run did, said once: beside the button with htmx, as the page's message without."""
    done = "L" + learned(run)[1:]
    errors = run["errors"]
    if not errors:
        return f"{done}."
    return f"{done}, with {len(errors)} problem{'' if len(errors) == 1 else 's'}: " + "; ".join(errors)
