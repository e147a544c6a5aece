"""Production settings: https only, HSTS, secure short sessions, and a clean `manage.py check --deploy`."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "NODEWORX_HTTPS": "true",
    "NODEWORX_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    "NODEWORX_ALLOWED_HOSTS": "panel.example.com",
    "NODEWORX_CSRF_TRUSTED_ORIGINS": "https://panel.example.com",
}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NODEWORX_SECRET_KEY": secrets.token_urlsafe(50)}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def _settings(env: dict[str, str]) -> dict[str, object]:
    names = [
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_PROXY_SSL_HEADER",
        "SESSION_COOKIE_AGE",
        "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    ]
    code = (
        "import json; from nodeworx import settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {names!r}}}))"
    )
    result = _run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_is_clean_with_the_production_environment():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        {**PRODUCTION, "NODEWORX_HSTS_PRELOAD": "true"},
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_without_hsts_preload_check_deploy_only_asks_for_preload():
    # Preload is opt-in (NODEWORX_HSTS_PRELOAD): it asks browsers to hard-code https for the whole
    # domain, which only the domain's owner can decide; nothing else may be left to warn about.
    result = _run(["manage.py", "check", "--deploy"], PRODUCTION)
    warnings = [
        line.split(")")[0].split("(")[-1] for line in result.stderr.splitlines() if "(security." in line
    ]
    assert warnings == ["security.W021"], result.stderr


def test_production_is_https_only_with_hsts_and_sessions_of_a_working_day():
    settings = _settings(PRODUCTION)
    assert settings["DEBUG"] is False
    assert settings["SESSION_COOKIE_SECURE"] is settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_HSTS_SECONDS"] == 31536000 and settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert settings["SESSION_COOKIE_AGE"] == 8 * 3600
    assert settings["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True


def test_the_plain_http_demo_gets_no_redirect_and_trusts_no_proxy_header():
    settings = _settings({})
    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SECURE_HSTS_SECONDS"] == 0
    assert settings["SECURE_PROXY_SSL_HEADER"] is None  # a client could otherwise claim https
    assert settings["SESSION_COOKIE_SECURE"] is False


@pytest.fixture
def https_settings(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    return settings


@pytest.mark.django_db
def test_http_is_redirected_to_https(client, https_settings):
    response = client.get("/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/login/"


@pytest.mark.django_db
def test_https_through_the_proxy_gets_hsts(client, https_settings):
    response = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
