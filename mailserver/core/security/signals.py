"""A complete login clears that username's failed attempts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import lockout


@receiver(user_logged_in)
def forgive_failures(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    lockout.clear_username(user.get_username())
