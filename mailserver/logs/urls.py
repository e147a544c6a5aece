from django.urls import path

from . import views

app_name = "logs"
urlpatterns = [
    path("", views.page, name="page"),
    path("message/", views.message, name="message"),
]
