"""Settings for the NodeWorx mail panel, read from the environment with safe defaults.

The web process is unprivileged: nothing here points it at the mail server's
files. Mail-host settings (roots, node) belong to the agent and are read by
mailserver.agent.config from the same environment.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext

from .env import env_bool, env_int, env_list, env_secret, env_str

# Makes Django's generic classes subscriptable at run time (admin.ModelAdmin[Change]), as their
# type stubs are; the type checker reads the parameters, Django ignores them.
django_stubs_ext.monkeypatch(include_builtins=False)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("NODEWORX_DEBUG", False)
SECRET_KEY = env_secret("NODEWORX_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Set NODEWORX_SECRET_KEY or NODEWORX_SECRET_KEY_FILE")
    SECRET_KEY = "insecure-development-key"  # noqa: S105 - only with NODEWORX_DEBUG on
ALLOWED_HOSTS = env_list("NODEWORX_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("NODEWORX_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "mailserver.core",
    "mailserver.core.security",
    "mailserver.mta",
    "mailserver.mda",
    "mailserver.spam",
    "mailserver.virus",
    "mailserver.queue",
    "mailserver.logs",
    "mailserver.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mailserver.core.security.headers.ContentSecurityPolicyMiddleware",
    # Before SessionMiddleware: it sees a session cookie dropped as ended, for the login page to say so.
    "mailserver.core.security.session_end.SessionEndedMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.node: the mail host a request is about, set once for every view.
    "mailserver.core.nodes.NodeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "mailserver.core.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "nodeworx.urls"
WSGI_APPLICATION = "nodeworx.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mailserver.core.context.panel",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("NODEWORX_DATABASE_URL", f"sqlite:///{VAR_DIR / 'panel.sqlite3'}"),
        conn_max_age=60,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Every login goes through the lock-out (mailserver/core/security/lockout.py): after 5 failures
# within 15 minutes for one username, or 20 from one client address, it is locked for 15 minutes.
AUTHENTICATION_BACKENDS = ["mailserver.core.security.backends.LockoutBackend"]
LOGIN_FAILURE_LIMIT = env_int("NODEWORX_LOGIN_FAILURES", 5)
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env_int("NODEWORX_LOGIN_FAILURES_PER_ADDRESS", 20)
LOGIN_LOCKOUT_MINUTES = env_int("NODEWORX_LOGIN_LOCKOUT_MINUTES", 15)
# Behind a proxy on loopback every client is 127.0.0.1: name the header in which the proxy passes
# the client's address (e.g. X-Forwarded-For; its last entry is used), or all share one limit.
CLIENT_IP_HEADER = env_str("NODEWORX_CLIENT_IP_HEADER", "").strip()
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("NODEWORX_TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Front-end libraries come from their npm packages (installed at setup), not from the repo.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules/bootstrap/dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules/bootstrap-icons/font"),
    ("vendor/htmx", BASE_DIR / "node_modules/htmx.org/dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules/chart.js/dist"),
]

# gunicorn serves the (few) static files itself through WhiteNoise; in tests and with
# NODEWORX_DEBUG the finders serve them straight from static/ and node_modules/.
WHITENOISE_USE_FINDERS = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# A session lasts a working day at most and ends when the browser closes: the panel drives root.
SESSION_COOKIE_AGE = env_int("NODEWORX_SESSION_HOURS", 8) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # htmx sends the token from the page (base.html), never from the cookie
X_FRAME_OPTIONS = "DENY"
# The login page names no mail host (anyone may open it); true shows the node's name there too.
SHOW_NODE_BEFORE_LOGIN = env_bool("NODEWORX_SHOW_NODE_BEFORE_LOGIN", False)

# Production is served over https (README "Production"): NODEWORX_HTTPS turns on secure cookies,
# HSTS and the redirect of http to https. Behind a TLS proxy on loopback, Django only knows a
# request was https from the header the proxy sets (NODEWORX_PROXY_SSL_HEADER=X-Forwarded-Proto);
# without it every request would look like http and be redirected again and again.
HTTPS = env_bool("NODEWORX_HTTPS", False) and not DEBUG
SESSION_COOKIE_SECURE = HTTPS or env_bool("NODEWORX_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("NODEWORX_HSTS_SECONDS", 365 * 24 * 3600) if HTTPS else 0
# includeSubDomains covers names under the panel's own host name only (panel.example.com), so it is on;
# preload asks browsers to hard-code the whole domain, a decision for the domain's owner: off by default.
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS and env_bool("NODEWORX_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = HTTPS and env_bool("NODEWORX_HSTS_PRELOAD", False)
_PROXY_SSL_HEADER = env_str("NODEWORX_PROXY_SSL_HEADER", "").strip()
if _PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https")

# The mail host this panel drives (one node for now; its agent consumes queue "node.<name>")
# is configured through the NODEWORX_NODE, NODEWORX_BROKER_URL and NODEWORX_SIGNING_* variables
# that mailserver.agent.config reads.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("NODEWORX_LOG_LEVEL", "WARNING")},
}
