"""Optional TOTP: an admin enrols an authenticator app, then every login also asks for its code."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client

from mailserver.core.security import totp
from mailserver.core.security.models import TotpDevice

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.test", PASSWORD)


def code(secret: str, steps_ahead: int = 0) -> str:
    return totp.totp(totp.key_of(secret), time.time() + steps_ahead * totp.STEP)


def enrol(client: Client) -> str:
    html = client.get("/account/two-factor/").content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', html).group(1)
    client.post("/account/two-factor/", {"code": code(secret)})
    return secret


@pytest.fixture
def enrolled(admin) -> str:
    client = Client()
    client.force_login(admin)
    return enrol(client)


def test_enrolling_shows_the_key_once_and_needs_a_code_from_the_app(client, admin):
    client.force_login(admin)
    html = client.get("/account/two-factor/").content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', html).group(1)
    assert 'src="data:image/svg+xml' in html  # the QR code, an image the policy allows
    assert secret in client.get("/account/two-factor/").content.decode()  # same key until confirmed

    wrong = client.post("/account/two-factor/", {"code": "000000" if code(secret) != "000000" else "111111"})
    assert "does not match" in wrong.content.decode()
    assert not TotpDevice.objects.exists()

    client.post("/account/two-factor/", {"code": code(secret)})
    html = client.get("/account/two-factor/").content.decode()
    assert 'data-testid="two-factor-on"' in html
    assert secret not in html  # never shown again
    assert TotpDevice.objects.get(user=admin).secret == secret


def test_the_password_alone_no_longer_logs_in(enrolled):
    client = Client()
    response = client.post("/login/", {"username": "admin", "password": PASSWORD, "next": "/changes/"})
    assert response["Location"] == "/login/code/"
    assert "_auth_user_id" not in client.session
    assert client.get("/changes/").status_code == 302  # still not in
    assert client.get("/admin/").status_code == 302

    response = client.post("/login/code/", {"code": code(enrolled, steps_ahead=1)})  # enrolment used now's
    assert response["Location"] == "/changes/"
    assert "_auth_user_id" in client.session


def test_a_used_code_cannot_log_in_again(enrolled):
    first, second = Client(), Client()
    for client in (first, second):
        client.post("/login/", {"username": "admin", "password": PASSWORD})
    current = code(enrolled, steps_ahead=1)  # enrolment used the current step's code
    assert first.post("/login/code/", {"code": current}).status_code == 302
    replay = second.post("/login/code/", {"code": current})
    assert "not right" in replay.content.decode()
    assert "_auth_user_id" not in second.session


def test_wrong_codes_count_towards_the_lockout(enrolled):
    client = Client()
    client.post("/login/", {"username": "admin", "password": PASSWORD})
    wrong = "000000" if code(enrolled) != "000000" else "111111"
    for _ in range(4):
        assert "not right" in client.post("/login/code/", {"code": wrong}).content.decode()
    response = client.post("/login/code/", {"code": wrong}, follow=True)
    assert "Too many failed logins" in response.content.decode()
    again = Client()
    locked = again.post("/login/", {"username": "admin", "password": PASSWORD})
    assert "Too many failed logins" in locked.content.decode()


def test_the_code_step_expires(enrolled):
    client = Client()
    client.post("/login/", {"username": "admin", "password": PASSWORD})
    session = client.session
    session["security.pending_login"]["at"] -= 301
    session.save()
    response = client.post("/login/code/", {"code": code(enrolled, steps_ahead=1)})
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_the_code_step_without_a_password_step_goes_back_to_the_login(client):
    assert client.get("/login/code/")["Location"] == "/login/"


def test_turning_it_off_needs_a_current_code(admin, enrolled):
    client = Client()
    client.force_login(admin)
    client.post("/account/two-factor/off/", {"code": "123456" if code(enrolled) != "123456" else "654321"})
    assert TotpDevice.objects.filter(user=admin).exists()
    client.post("/account/two-factor/off/", {"code": code(enrolled, steps_ahead=1)})
    assert not TotpDevice.objects.filter(user=admin).exists()
