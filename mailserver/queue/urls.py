from django.urls import path

from . import browse, tools, views

app_name = "queue"
urlpatterns = [
    path("", views.page, name="page"),
    path("stats/", views.stats_box, name="stats"),
    path("purge/", views.purge, name="purge"),
    path("process/", views.process, name="process"),
    path("messages/", browse.messages, name="messages"),
    path("messages/<int:number>/", browse.message, name="message"),
    path("delete/", browse.delete, name="delete"),
    path("expire/", browse.expire, name="expire"),
    path("test/", tools.test_message, name="test"),
    path("test/follow/", tools.follow, name="follow"),
    path("reset/", tools.reset, name="reset"),
    path("reset/progress/", tools.reset_progress, name="reset-progress"),
    path("check/", tools.check, name="check"),
]
