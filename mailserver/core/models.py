"""What the panel remembers itself: every change it asked an agent to make, and who may do what.

The change log is append-only: a row is written once and never updated or deleted,
not by the panel, not through the admin (also for superusers), not through the ORM
(``save`` of an existing row, ``delete``, the queryset's ``update``/``delete``), and
not by a raw SQL UPDATE or DELETE, which database triggers refuse (migration 0004).
"""

from __future__ import annotations

import difflib
from typing import Any

from django.conf import settings
from django.db import models


class ChangeResult(models.TextChoices):
    APPLIED = "applied", "Applied"
    REFUSED = "refused", "Refused (invalid)"
    CONFLICT = "conflict", "Refused (changed on the server)"
    FAILED = "failed", "Failed"
    UNCONFIRMED = "unconfirmed", "Not confirmed (agent did not answer)"
    UNREACHABLE = "unreachable", "Not applied (agent unreachable)"


class AppendOnlyError(Exception):
    """Somebody tried to change or delete a row of the append-only change log."""

    def __init__(self, what: str):
        super().__init__(f"The change log is append-only: {what} is refused.")


class ChangeQuerySet(models.QuerySet["Change"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("updating change records")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError("updating change records")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("deleting change records")

    def _raw_delete(self, using: Any) -> int:  # the deletion collector's fast path
        raise AppendOnlyError("deleting change records")

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Change]:
        if kwargs.get("update_conflicts"):  # INSERT … ON CONFLICT DO UPDATE rewrites existing rows
            raise AppendOnlyError("updating change records")
        return super().bulk_create(objs, *args, **kwargs)


class Change(models.Model):
    """One change to one file or service on a node: who, when, before, after, result."""

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    # PROTECT: setting the user to NULL on deletion would rewrite the log; deactivate such users instead.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    username = models.CharField(max_length=150)
    node = models.CharField(max_length=63)
    target = models.CharField(max_length=200, help_text="e.g. control/databytes or service qmail-send")
    action = models.CharField(max_length=40)
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)
    result = models.CharField(max_length=20, choices=ChangeResult.choices)
    message = models.TextField(blank=True)
    restored_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="restorations",
        help_text="For a restore: the change whose earlier version it wrote back.",
    )

    objects = ChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        # Nobody may be granted adding, changing or deleting rows: only the panel writes them.
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyError(f"changing change record {self.pk}")
        # Forced INSERT: an instance carrying the id of an existing row must not overwrite it.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"deleting change record {self.pk}")

    @property
    def diff(self) -> str:
        lines = difflib.unified_diff(
            _diff_lines(self.before),
            _diff_lines(self.after),
            fromfile=f"{self.target} (before)",
            tofile=f"{self.target} (after)",
        )
        return "".join(lines)


NO_NEWLINE = "\\ No newline at end of file\n"


def _diff_lines(text: str) -> list[str]:
    """Lines for the diff, each ending in a newline: a file edited by hand may lack its last one,
    and difflib would then glue that line to the next ("-20x+5000000"). Marked as diff(1) does."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n" + NO_NEWLINE
    return lines


class Panel(models.Model):
    """No table: it only carries the panel's two permissions (granted through the groups of 0003).

    ``view_mailserver`` opens every page; ``change_mailserver`` is needed for every request
    that changes the mail server (saves, service controls, restores). Superusers have both.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_mailserver", "Can view the mail server pages"),
            ("change_mailserver", "Can change the mail server (save, start/stop, restore)"),
        ]
