from django.urls import path

from mailserver.core.sections.urls import section_urls

from . import views
from .sections import PAGE

app_name = "virus"
urlpatterns = [
    *section_urls(PAGE),
    path("scan-eicar/", views.scan_eicar, name="scan-eicar"),
]
