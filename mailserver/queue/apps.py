from django.apps import AppConfig


class QueueConfig(AppConfig):
    name = "mailserver.queue"
    label = "queue"
    verbose_name = "Mail Queue"
