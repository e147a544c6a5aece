"""Mounted at the site's root by mailserver.core.urls: "dashboard" is the page after login."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.page, name="dashboard"),
    path("dashboard/live/", views.live, name="dashboard-live"),
]
