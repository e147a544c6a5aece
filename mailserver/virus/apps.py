from django.apps import AppConfig


class VirusConfig(AppConfig):
    name = "mailserver.virus"
    label = "virus"
    verbose_name = "Virus Filtering (ClamAV)"
