"""A complete login clears that username's failed attempts; a logout is said on the login page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from . import lockout


@receiver(user_logged_in)
def forgive_failures(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    lockout.clear_username(user.get_username())


@receiver(user_logged_out)
def say_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # The login page it lands on looked the same as before logging in: did it work, on a shared screen?
    if request is not None and user is not None:
        messages.info(request, f"{user.get_username()} is logged out.")
