"""The one authentication backend: Django's, refusing locked usernames and addresses.

Every login path (the panel's login, anything that calls django.contrib.auth.authenticate)
goes through it, so none can be used to keep guessing past the lock.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from . import lockout


class LockoutBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        address = lockout.client_address(request)
        if lockout.lock_for(username, address):
            # PermissionDenied stops Django from trying the password at all (and from other backends).
            raise PermissionDenied("locked")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and username is not None:
            lockout.record_failure(username, address)
        return user
