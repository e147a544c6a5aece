from django.urls import path

from mailserver.core.sections.urls import section_urls

from . import views
from .sections import PAGE

app_name = "spam"
urlpatterns = [
    *section_urls(PAGE),
    path("gtube/", views.gtube, name="gtube"),
    path("train-now/", views.train_now, name="train-now"),
]
