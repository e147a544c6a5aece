from django.urls import path

from . import index_views, views

app_name = "logs"
urlpatterns = [
    path("", views.page, name="page"),
    path("run/", views.run, name="run"),
    path("progress/<str:report_id>/", views.progress, name="progress"),
    path("cancel/<str:report_id>/", views.cancel, name="cancel"),
    path("message/", views.message, name="message"),
    path("index/", index_views.index, name="index"),
    path("index/retention/", index_views.retention, name="retention"),
]
