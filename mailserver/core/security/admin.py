"""Administrators can lift a lock-out early and remove the authenticator of a user who lost it."""

from django.contrib import admin
from django.http import HttpRequest

from .models import LoginThrottle, TotpDevice


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin[LoginThrottle]):
    list_display = ("kind", "key", "failures", "window_start", "locked_until")
    list_filter = ("kind",)
    search_fields = ("key",)
    readonly_fields = ("kind", "key", "failures", "window_start", "locked_until")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TotpDevice)
class TotpDeviceAdmin(admin.ModelAdmin[TotpDevice]):
    list_display = ("user", "confirmed_at")
    fields = ("user", "confirmed_at")  # never the secret
    readonly_fields = ("user", "confirmed_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
