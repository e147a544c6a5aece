from django.urls import path

from mailserver.core.sections.urls import section_urls

from . import views
from .sections import PAGE

app_name = "mta"
urlpatterns = [
    *section_urls(PAGE),
    path("route-test/", views.route_test, name="route-test"),
]
