from django.apps import AppConfig


class LogsConfig(AppConfig):
    name = "mailserver.logs"
    label = "logs"
    verbose_name = "Mail Logs (qmail-send's log)"
