"""Service buttons in core: Stop and Restart ask first and say what stops working; every action
returns to the page it was pressed on; viewers and strangers' URLs get nowhere."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client

from mailserver.core.models import Change
from mailserver.core.permissions import ADMINS, VIEWERS
from mailserver.qmail import services
from mailserver.qmail.paths import Roots
from tests.support import stand_ins

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def admin(member_client) -> Client:
    return member_client("mailadmin", ADMINS)


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name} in the form"
    return found[1].replace("&amp;", "&")


@pytest.mark.parametrize(
    ("action", "says"),
    [
        ("down", "While qmail-smtpd is stopped: All incoming mail is refused: nothing answers on port 25"),
        ("restart", "qmail-smtpd stops and starts again"),
    ],
)
def test_stop_and_restart_ask_first_and_say_what_stops_working(admin, action, says):
    logged = Change.objects.count()
    page = admin.get(f"/services/qmail-smtpd/{action}/", {"next": "/mailserver/mta/"})
    html = page.content.decode()
    assert page.status_code == 200 and "<html" in html  # without htmx: a page of its own
    assert says in html and "All incoming mail is refused" in html
    assert hidden(html, "confirm") == "yes"
    assert 'href="/mailserver/mta/"' in html  # Cancel goes back
    swapped = admin.get(
        f"/services/qmail-smtpd/{action}/", {"next": "/mailserver/mta/"}, **HTMX
    ).content.decode()
    assert says in swapped and "<html" not in swapped  # with htmx: in the card's place
    assert 'id="service-qmail-smtpd"' in swapped
    assert Change.objects.count() == logged  # nothing was asked of the agent


def test_a_stop_posted_without_the_confirmation_only_asks(admin):
    logged = Change.objects.count()
    response = admin.post("/services/qmail-send/down/", {"next": "/mailserver/mta/"}, **HTMX)
    assert response.status_code == 200
    assert "No mail is delivered, local or remote" in response.content.decode()
    assert Change.objects.count() == logged


@pytest.mark.parametrize(
    ("service", "next_url", "back_to"),
    [
        ("qmail-smtpd", "/mailserver/mta/?tab=2", "/mailserver/mta/?tab=2"),
        ("qmail-smtpd", "http://testserver/mailserver/mta/", "/mailserver/mta/"),
        ("qmail-smtpd", "https://elsewhere.example/", "/mailserver/mta/"),  # the registry's page instead
        ("qmail-smtpd", "//elsewhere.example/x", "/mailserver/mta/"),
        ("qmail-smtpd", "javascript:alert(1)", "/mailserver/mta/"),
        ("qmail-smtpd", "mailserver/logs/", "/mailserver/mta/"),
        ("spamd", "", "/mailserver/spam/"),
        ("clamd", "", "/mailserver/virus/"),
        ("courier-imapd", "", "/mailserver/mda/"),
    ],
)
def test_it_returns_only_to_a_page_of_this_site(admin, service, next_url, back_to):
    html = admin.get(f"/services/{service}/down/", {"next": next_url}).content.decode()
    assert hidden(html, "next") == back_to


def test_inside_htmx_it_returns_to_the_page_in_the_address_bar(admin):
    headers = {**HTMX, "HTTP_HX_CURRENT_URL": "http://testserver/mailserver/mta/#section-primary"}
    html = admin.get("/services/qmail-send/restart/", **headers).content.decode()
    assert hidden(html, "next") == "/mailserver/mta/"


@pytest.mark.parametrize(
    "url", ["/services/sshd/down/", "/services/qmail-send/kill/", "/services/..%2Fqmail-send/up/"]
)
def test_other_services_and_actions_are_not_found(admin, url):
    assert admin.post(url, {"confirm": "yes"}).status_code == 404


def test_start_is_never_a_get(admin):
    assert admin.get("/services/qmail-send/up/").status_code == 405


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_viewer_gets_neither_the_confirmation_nor_the_action(member_client, method):
    viewer = member_client("viewer", VIEWERS)
    logged = Change.objects.count()
    response = getattr(viewer, method)("/services/qmail-smtpd/down/", {"confirm": "yes"}, **HTMX)
    assert response.status_code == 403
    assert Change.objects.count() == logged


# --- through the real agent -----------------------------------------------------------------


@pytest.fixture
def running_qmail_send(roots: Roots) -> Iterator[Roots]:
    with stand_ins.running_qmail_send(roots):
        yield roots


@pytest.mark.integration
def test_a_confirmed_stop_stops_it_and_returns_to_the_page_it_was_pressed_on(
    mail_admin_client, running_qmail_send
):
    roots = running_qmail_send
    response = mail_admin_client.post(
        "/services/qmail-send/down/", {"confirm": "yes", "next": "/mailserver/mta/"}
    )
    assert (response.status_code, response["Location"]) == (302, "/mailserver/mta/")
    assert services.read_status(roots, "qmail-send").up is False
    change = Change.objects.latest("id")
    assert (change.target, change.action, change.result, change.username) == (
        "service qmail-send",
        "svc -d",
        "applied",
        "mailadmin",
    )
    page = mail_admin_client.get("/mailserver/mta/").content.decode()
    assert "qmail-send stopped." in page


@pytest.mark.integration
def test_with_htmx_a_confirmed_restart_answers_with_the_card(mail_admin_client, running_qmail_send):
    before = services.read_status(running_qmail_send, "qmail-send").pid
    card = mail_admin_client.post(
        "/services/qmail-send/restart/", {"confirm": "yes", "next": "/mailserver/mta/"}, **HTMX
    ).content.decode()
    assert 'id="service-qmail-send"' in card and 'data-testid="status-qmail-send">up<' in card
    assert services.read_status(running_qmail_send, "qmail-send").pid != before
    assert hidden(card, "next") == "/mailserver/mta/"


def autofocused(html: str) -> list[str]:
    """The data-testid of each element the swapped-in card asks htmx to focus."""
    return re.findall(r'<[^>]*data-testid="([^"]+)"[^>]*\sautofocus[\s>]', html)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("back_to", "focused"), [("restart", "restart-qmail-send"), ("down", "stop-qmail-send")]
)
def test_a_cancelled_confirmation_brings_the_card_back_focused_on_its_button(
    mail_admin_client, running_qmail_send, back_to, focused
):
    confirm = mail_admin_client.get(f"/services/qmail-send/{back_to}/", **HTMX).content.decode()
    cancel = re.search(r'hx-get="([^"]+)"[^>]*>Cancel<', confirm)
    assert cancel, "the confirmation has no htmx Cancel"
    card = mail_admin_client.get(cancel[1].replace("&amp;", "&"), **HTMX).content.decode()
    assert autofocused(card) == [focused]  # the server says where, not a script after the swap


@pytest.mark.integration
@pytest.mark.parametrize("back_to", ["", "up", "boot-on", "x"])
def test_a_card_asked_for_otherwise_focuses_its_state_line(mail_admin_client, running_qmail_send, back_to):
    card = mail_admin_client.get("/services/qmail-send/", {"back_to": back_to}, **HTMX).content.decode()
    assert autofocused(card) == ["state-line-qmail-send"]


@pytest.mark.integration
def test_a_refused_action_shows_why_in_the_card(mail_admin_client, roots):
    card = mail_admin_client.post("/services/qmail-send/boot-on/", **HTMX).content.decode()
    assert 'data-testid="service-error-qmail-send"' in card
    assert "qmail-send is not installed" in card and str(roots.qmail_program("qmail-send")) in card
    assert (roots.service_dir("qmail-send") / "down").exists()
    assert Change.objects.latest("id").result == "refused"


@pytest.mark.integration
def test_the_card_says_why_its_buttons_are_off(viewer_client, mail_admin_client, roots):
    card = mail_admin_client.get("/services/qmail-send/").content.decode()
    assert 'data-testid="status-qmail-send">not installed<' in card
    missing = f"{roots.qmail_program('qmail-start')}, {roots.qmail_program('qmail-send')}"
    assert f"Not installed: {missing} are missing" in card
    assert re.search(r'data-testid="start-qmail-send" disabled aria-describedby="why-qmail-send"', card)
    spamd = mail_admin_client.get("/services/spamd/").content.decode()
    assert "Not set up on this server" in spamd
    assert "<form" not in viewer_client.get("/services/qmail-send/").content.decode()  # no buttons


@pytest.mark.integration
def test_a_service_that_keeps_restarting_shows_failing_with_its_log(mail_admin_client, roots):
    with stand_ins.smtpd_in_a_restart_loop(roots):
        card = mail_admin_client.post("/services/qmail-smtpd/up/", **HTMX).content.decode()
        assert 'data-testid="status-qmail-smtpd">failing<' in card
        assert "Keeps restarting:" in card and "supervise" in card
        assert "QMAILDUID, NOFILESGID, MAXSMTPD, or LOCAL is unset in" in card
        assert 'data-testid="stop-qmail-smtpd" disabled' not in card  # it can be stopped
        page = mail_admin_client.get("/mailserver/mta/").content.decode()
        assert 'data-testid="failing-qmail-smtpd"' in page
