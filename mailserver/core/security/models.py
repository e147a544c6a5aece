"""What the panel remembers about logins: failed attempts (for the lock-out) and TOTP devices."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class LoginThrottle(models.Model):
    """Failed logins for one username or one client address, and until when it is locked.

    One row per key (not per attempt), so a flood of guesses cannot grow the table beyond the
    names and addresses it used; rows whose window and lock have passed are deleted.
    """

    USERNAME = "username"
    ADDRESS = "address"

    kind = models.CharField(max_length=10, choices=[(USERNAME, "Username"), (ADDRESS, "Client address")])
    key = models.CharField(max_length=150)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="one_throttle_per_key")]
        verbose_name = "login lock-out"

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class TotpDevice(models.Model):
    """A confirmed authenticator app: the login then also asks for its current code (RFC 6238)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp")
    secret = models.CharField(max_length=64)  # base32, as the authenticator app was given it
    confirmed_at = models.DateTimeField()
    last_step = models.BigIntegerField(default=0)  # a code is accepted once: replays are refused

    class Meta:
        verbose_name = "two-factor authenticator"

    def __str__(self) -> str:
        return f"authenticator of {self.user}"
