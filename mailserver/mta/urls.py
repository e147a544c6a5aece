from django.urls import path

from . import views

app_name = "mta"
urlpatterns = [
    path("", views.page, name="page"),
    path("save/<slug:slug>/", views.save, name="save"),
    path("route-test/", views.route_test, name="route-test"),
]
