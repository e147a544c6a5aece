"""What the panel remembers itself: every change it asked an agent to make."""

from __future__ import annotations

import difflib

from django.conf import settings
from django.db import models


class ChangeResult(models.TextChoices):
    APPLIED = "applied", "Applied"
    REFUSED = "refused", "Refused (invalid)"
    CONFLICT = "conflict", "Refused (changed on the server)"
    FAILED = "failed", "Failed"
    UNCONFIRMED = "unconfirmed", "Not confirmed (agent did not answer)"
    UNREACHABLE = "unreachable", "Not applied (agent unreachable)"


class Change(models.Model):
    """One change to one file or service on a node: who, when, before, after, result."""

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    username = models.CharField(max_length=150)
    node = models.CharField(max_length=63)
    target = models.CharField(max_length=200, help_text="e.g. control/databytes or service qmail-send")
    action = models.CharField(max_length=40)
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)
    result = models.CharField(max_length=20, choices=ChangeResult.choices)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.target}"

    @property
    def diff(self) -> str:
        lines = difflib.unified_diff(
            self.before.splitlines(keepends=True),
            self.after.splitlines(keepends=True),
            fromfile=f"{self.target} (before)",
            tofile=f"{self.target} (after)",
        )
        return "".join(lines)
