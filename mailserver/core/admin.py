from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Change


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin[Change]):
    """The change log, read-only for everybody, superusers included: it is append-only."""

    list_display = ("created", "username", "node", "action", "target", "result")
    list_filter = ("node", "result", "action")
    search_fields = ("target", "username", "message")
    readonly_fields = [f.name for f in Change._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:  # the log is written by the panel only
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
