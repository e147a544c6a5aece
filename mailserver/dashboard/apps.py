from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "mailserver.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard (queue samples)"
