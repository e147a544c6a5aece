"""Login forms: the password step says when logging in is locked; the code step asks for the TOTP."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from . import lockout


class PanelAuthenticationForm(AuthenticationForm):
    def clean(self) -> dict[str, Any]:
        address = lockout.client_address(self.request)
        username = self.cleaned_data.get("username")
        lock = lockout.lock_for(username, address)
        if lock:
            raise forms.ValidationError(lock.message, code="locked")
        try:
            return super().clean()
        except forms.ValidationError:
            lock = lockout.lock_for(username, address)  # this failure may have reached the limit
            if lock:
                raise forms.ValidationError(lock.message, code="locked") from None
            raise


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
