from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import restore
from .models import Change, ChangeResult
from .navigation import PAGES_BY_SLUG
from .permissions import change_required, view_required
from .sections.effects import takes_effect

LATER_SHOWN = 5  # later changes to the same file named on a change's page, newest first
VERSION_SHOWN_LINES = 20  # a version to restore up to this long is shown open, a longer one folded


@never_cache  # the log grows: Back or a reload must not show an old copy
@view_required
def changes(request: HttpRequest) -> HttpResponse:
    """The change log, newest first; ``?target=`` (and ``node=``) narrows it to one file's history."""
    chosen = {key: request.GET.get(key, "").strip() for key in ("target", "node")}
    chosen = {key: value for key, value in chosen.items() if value}
    page = Paginator(Change.objects.filter(**chosen), 50).get_page(request.GET.get("page"))
    return render(request, "core/changes.html", {"page": page, "chosen": chosen})


@never_cache  # it offers a restore judged on the log as it is now
@view_required
def change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(Change.objects.select_related("restored_from"), pk=pk)
    restorable = restore.restorable(change)
    context = {
        "change": change,
        "restorable": restorable,
        # Asked only where a restore is offered: one agent read, up to restore.CHECK_TIMEOUT.
        "file_now": restore.file_now(change) if restorable.possible else None,
        "is_file": restore.is_file_target(change),
        "takes_effect": takes_effect(change.target),
        "before_lines": len(change.before.splitlines()),
        "OPEN_LINES": VERSION_SHOWN_LINES,
        "restorations": change.restorations.all(),
        "history_url": f"{reverse('changes')}?{urlencode({'target': change.target, 'node': change.node})}",
        # What the panel wrote to the same file since: a restore of this change would then be refused.
        "later": Change.objects.filter(
            node=change.node, target=change.target, result=ChangeResult.APPLIED, pk__gt=change.pk
        ).order_by("-pk")[:LATER_SHOWN],
    }
    return render(request, "core/change_detail.html", context)


@require_POST
@change_required
def restore_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Write the change's earlier version back; the outcome is a new change, shown on its page."""
    original = get_object_or_404(Change, pk=pk)
    offered = restore.restorable(original)
    if not offered.possible:
        messages.error(request, f"Not restored: {offered.why_not}")
        return redirect("change-detail", pk=original.pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Not restored: tick the box to confirm writing this version back.")
        return redirect("change-detail", pk=original.pk)
    outcome = restore.restore(request.user, original)
    if outcome.result == ChangeResult.APPLIED:
        messages.success(request, f"{original.target} on node {original.node}: {outcome.message}")
        return redirect("change-detail", pk=outcome.pk)
    messages.error(request, f"Not restored: {outcome.message}")
    return redirect("change-detail", pk=original.pk)


@view_required
def not_built(request: HttpRequest, slug: str) -> HttpResponse:
    page = PAGES_BY_SLUG.get(slug)
    if page is None or page.built:
        raise Http404
    return render(request, "core/not_built.html", {"page": page})
