from django.apps import AppConfig


class MtaConfig(AppConfig):
    name = "mailserver.mta"
    label = "mta"
    verbose_name = "MTA (qmail-smtpd, qmail-send)"
