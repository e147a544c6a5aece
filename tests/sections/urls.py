"""The panel's URLs plus the test-only Domains page (tests/sections/domains_page.py)."""

from django.urls import include, path

from mailserver.core.sections.urls import section_urls
from nodeworx.urls import urlpatterns as panel

from .domains_page import PAGE

urlpatterns = [path("test-pages/domains/", include((section_urls(PAGE), "domains"))), *panel]
