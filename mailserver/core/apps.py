from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mailserver.core"
    label = "core"
    verbose_name = "Panel core: nodes, agent client, change log"
