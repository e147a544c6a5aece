from django.apps import AppConfig


class SpamConfig(AppConfig):
    name = "mailserver.spam"
    label = "spam"
    verbose_name = "Spam Filtering (SpamAssassin, simscan)"
