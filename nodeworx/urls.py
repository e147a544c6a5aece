from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from mailserver.core.security import views as security

urlpatterns = [
    path("login/", security.LoginView.as_view(), name="login"),
    path("login/code/", security.login_code, name="login-code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/two-factor/", security.two_factor, name="two-factor"),
    path("account/two-factor/off/", security.two_factor_off, name="two-factor-off"),
    # One login for everything: the admin's own form would skip the code step.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("mailserver/mta/", include("mailserver.mta.urls")),
    path("mailserver/mda/", include("mailserver.mda.urls")),
    path("mailserver/spam/", include("mailserver.spam.urls")),
    path("mailserver/virus/", include("mailserver.virus.urls")),
    path("mailserver/queue/", include("mailserver.queue.urls")),
    path("mailserver/logs/", include("mailserver.logs.urls")),
    path("", include("mailserver.core.urls")),
]
