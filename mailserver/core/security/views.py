"""The panel's login (password, then the TOTP code for users who enrolled) and TOTP enrolment."""

from __future__ import annotations

import time
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ..middleware import AuthenticatedRequest
from . import lockout, session_end, totp
from .forms import CodeForm, PanelAuthenticationForm
from .models import TotpDevice

PENDING = "security.pending_login"  # session: the user who gave the right password, awaiting the code
ENROLLING = "security.enrolling_secret"  # session: the secret shown for enrolment, until confirmed
CODE_WAIT = 300  # seconds the code step waits after the password step


class LoginView(auth_views.LoginView[PanelAuthenticationForm]):
    form_class = PanelAuthenticationForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # next is Django's checked redirect target ("" for another site's address).
        context["session_ended"] = session_end.notice(self.request, context.get(self.redirect_field_name, ""))
        if context["session_ended"]:
            # The focused user name field points to it: a screen reader reads why the admin is here.
            context["form"].fields["username"].widget.attrs["aria-describedby"] = "session-ended"
        return context

    def form_invalid(self, form: PanelAuthenticationForm) -> HttpResponse:
        if form.non_field_errors():
            # The user name field has the focus again: it points to why the login was refused.
            form.fields["username"].widget.attrs["aria-describedby"] = "login-error"
        return super().form_invalid(form)

    def form_valid(self, form: PanelAuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not TotpDevice.objects.filter(user=user).exists():
            return super().form_valid(form)
        # Not logged in yet: the session only remembers who passed the password step, for a while.
        self.request.session.cycle_key()
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,  # type: ignore[attr-defined]
            "at": time.time(),
            "next": self.get_success_url(),
        }
        return redirect("login-code")


@never_cache
def login_code(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > CODE_WAIT:
        request.session.pop(PENDING, None)
        if pending:
            messages.error(request, "The code was not entered in time; log in again.")
        return redirect("login")
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        del request.session[PENDING]
        return redirect("login")
    address = lockout.client_address(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        lock = lockout.lock_for(user.get_username(), address)
        if lock is None and _accept_code(user, form.cleaned_data["code"]):
            del request.session[PENDING]
            auth_login(request, user, backend=pending["backend"])
            return HttpResponseRedirect(pending["next"])
        if lock is None:
            lock = lockout.record_failure(user.get_username(), address)
        if lock is not None:
            del request.session[PENDING]  # locked: start again from the password once it lifts
            messages.error(request, lock.message)
            return redirect("login")
        form.add_error("code", "That code is not right (or was already used). Enter the current one.")
    return render(request, "registration/login_code.html", {"form": form})


def _accept_code(user: Any, code: str) -> bool:
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            return False
        step = totp.matching_step(device.secret, code, after_step=device.last_step)
        if step is None:
            return False
        device.last_step = step
        device.save(update_fields=["last_step"])
        return True


@never_cache  # it shows the TOTP secret: not in the browser's cache, nor back after logging out
def two_factor(request: AuthenticatedRequest) -> HttpResponse:
    """Enrol an authenticator app: the secret is shown until a code from the app confirms it."""
    device = TotpDevice.objects.filter(user=request.user).first()
    if device is not None:
        return render(
            request, "registration/two_factor.html", {"device": device, "form": _in_page(CodeForm())}
        )
    secret = request.session.get(ENROLLING) or totp.new_secret()
    request.session[ENROLLING] = secret
    form = _in_page(CodeForm(request.POST or None))
    if request.method == "POST" and form.is_valid():
        step = totp.matching_step(secret, form.cleaned_data["code"], after_step=0)
        if step is not None:
            TotpDevice.objects.create(
                user=request.user, secret=secret, confirmed_at=timezone.now(), last_step=step
            )
            del request.session[ENROLLING]  # never shown again
            messages.success(request, "Two-factor login is on: from now on the login asks for a code.")
            return redirect("two-factor")
        form.add_error("code", "That code does not match: check the app's clock and enter the current code.")
    uri = totp.provisioning_uri(secret, request.user.get_username(), "NodeWorx")
    groups = key_groups(secret)
    context = {
        "form": form,
        "secret": secret,
        "uri": uri,
        "groups": groups,
        # For a screen reader: letter by letter, a pause between groups (a group read as a word
        # was mispronounced, and the plain key as one long word).
        "spoken": ", ".join(" ".join(group) for group in groups),
        "qr": segno.make(uri, error="m").svg_data_uri(scale=4),
    }
    return render(request, "registration/two_factor.html", context)


def key_groups(secret: str, size: int = 4) -> list[str]:
    """The key in groups of four, as authenticator apps show it and as it is easy to type."""
    return [secret[start : start + size] for start in range(0, len(secret), size)]


def _in_page(form: CodeForm) -> CodeForm:
    # Not the login's code step: here the text and the key come first, and focusing the field on
    # load made a screen reader skip them (it read only the field's label). A code refused keeps it.
    if not form.is_bound:
        form.fields["code"].widget.attrs.pop("autofocus", None)
    return form


@require_POST
def two_factor_off(request: AuthenticatedRequest) -> HttpResponse:
    """Turning it off needs a current code too: a borrowed session alone cannot remove it."""
    form = CodeForm(request.POST)
    username, address = request.user.get_username(), lockout.client_address(request)
    lock = lockout.lock_for(username, address)
    if lock is not None:
        messages.error(request, f"Not turned off: {lock.message}")
    elif form.is_valid() and _accept_code(request.user, form.cleaned_data["code"]):
        TotpDevice.objects.filter(user=request.user).delete()
        messages.success(request, "Two-factor login is off.")
    else:
        # Counted like a failed login: a borrowed session cannot try every code.
        lockout.record_failure(username, address)
        messages.error(request, "Not turned off: that code is not right.")
    return redirect("two-factor")
