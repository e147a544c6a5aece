from django.apps import AppConfig


class MdaConfig(AppConfig):
    name = "mailserver.mda"
    label = "mda"
    verbose_name = "MDA (qmail-pop3d, Courier IMAP)"
