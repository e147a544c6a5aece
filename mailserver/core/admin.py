from django.contrib import admin

from .models import Change


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    list_display = ("created", "username", "node", "action", "target", "result")
    list_filter = ("node", "result", "action")
    search_fields = ("target", "username", "message")
    readonly_fields = [f.name for f in Change._meta.fields]

    def has_add_permission(self, request):  # the log is written by the panel only
        return False

    def has_change_permission(self, request, obj=None):
        return False
