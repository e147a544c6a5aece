from django.urls import include, path

from . import alerts, service_views, views

urlpatterns = [
    path("", include("mailserver.dashboard.urls")),  # "dashboard", the page after login
    path("changes/", views.changes, name="changes"),
    path("changes/<int:pk>/", views.change_detail, name="change-detail"),
    path("changes/<int:pk>/restore/", views.restore_change, name="change-restore"),
    path("mailserver/<slug:slug>/", views.not_built, name="not-built"),
    path("alerts/", alerts.mail_alerts, name="mail-alerts"),
    path("services/<str:name>/", service_views.card, name="service-card"),
    path("services/<str:name>/<str:action>/", service_views.service_action, name="service-action"),
]
