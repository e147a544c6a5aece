"""Failed logins lock the username and the client address (the audit: 30 wrong passwords, then in)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory
from django.utils import timezone

from mailserver.core.security.lockout import client_address
from mailserver.core.security.models import LoginThrottle

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
LOCKED = "Too many failed logins"


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.test", PASSWORD)


def log_in(client: Client, username: str, password: str, address: str = "192.0.2.10"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_thirty_wrong_passwords_then_the_right_one_does_not_get_in(client, admin):
    for _ in range(30):
        log_in(client, "admin", "guess")
    response = log_in(client, "admin", PASSWORD)
    assert LOCKED in response.content.decode()
    assert not logged_in(client)


def test_the_fifth_failure_locks_and_says_so(client, admin):
    for attempt in range(1, 5):
        html = log_in(client, "admin", f"guess{attempt}").content.decode()
        assert "Please enter a correct username and password" in html
    html = log_in(client, "admin", "guess5").content.decode()
    assert LOCKED in html and "15 more minutes" in html


def test_the_lock_is_per_username_from_any_address(client, admin):
    for n in range(5):
        log_in(client, "admin", "guess", address=f"198.51.100.{n}")
    assert LOCKED in log_in(Client(), "admin", PASSWORD, address="203.0.113.7").content.decode()


def test_the_lock_ignores_the_case_of_the_username(client, admin):
    for name in ("admin", "Admin", "ADMIN", "aDmin", "admiN"):
        log_in(client, name, "guess")
    assert LOCKED in log_in(client, "admin", PASSWORD).content.decode()


def test_the_lock_lifts_after_fifteen_minutes(client, admin):
    for _ in range(5):
        log_in(client, "admin", "guess")
    LoginThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    response = log_in(client, "admin", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_a_successful_login_forgives_the_usernames_earlier_failures(client, admin):
    for _ in range(4):
        log_in(client, "admin", "guess")
    assert log_in(client, "admin", PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(4):
        log_in(client, "admin", "guess")
    assert log_in(client, "admin", PASSWORD).status_code == 302


def test_one_address_trying_many_usernames_is_locked_after_twenty(client, admin):
    for n in range(20):
        log_in(client, f"user{n}", "guess", address="192.0.2.66")
    assert LOCKED in log_in(client, "admin", PASSWORD, address="192.0.2.66").content.decode()
    other = Client()
    assert log_in(other, "admin", PASSWORD, address="192.0.2.67").status_code == 302


def test_ipv6_clients_are_counted_per_64_block(client, admin):
    for n in range(20):
        log_in(client, f"user{n}", "guess", address=f"2001:db8:1:2::{n + 1:x}")
    locked = log_in(Client(), "admin", PASSWORD, address="2001:db8:1:2:ffff::1")
    assert LOCKED in locked.content.decode()


def test_every_login_path_is_covered_by_the_backend(admin):
    for _ in range(5):
        assert authenticate(None, username="admin", password="guess") is None
    assert authenticate(None, username="admin", password=PASSWORD) is None


def test_the_django_admin_login_is_the_panels_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/"


def test_the_address_comes_from_the_proxys_header_only_when_configured(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.5")
    assert client_address(request) == "127.0.0.1"  # a client could write any X-Forwarded-For
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    assert client_address(request) == "192.0.2.5"  # the entry the proxy appended, not the client's


def test_the_table_keeps_no_row_once_its_window_and_lock_are_over(client, admin):
    for n in range(3):
        log_in(client, f"old{n}", "guess")
    LoginThrottle.objects.update(window_start=timezone.now() - timedelta(minutes=16))
    log_in(client, "new", "guess")
    assert sorted(LoginThrottle.objects.values_list("key", flat=True)) == ["192.0.2.10", "new"]
