from mailserver.core.sections.urls import section_urls

from .sections import PAGE

app_name = "mda"
urlpatterns = section_urls(PAGE)
