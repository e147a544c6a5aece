"""The pages an admin lands on when something is refused, missing or broken: in the panel's look,
saying what happened, with a way on (and, for an account refused everything, the way out)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_an_account_in_no_group_is_told_why_and_can_log_out_from_the_page(member_client):
    client = member_client("newcomer", None)

    response = client.get("/mailserver/mta/")

    assert response.status_code == 403
    html = response.content.decode()
    assert "it needs the Mail viewers or Mail admins group" in html
    assert 'action="/logout/"' in html and "Log out" in html  # logging out takes a POST: a button
    assert 'href="/changes/"' not in html  # no links to pages it would be refused


def test_a_change_that_does_not_exist_is_a_page_of_the_panel(admin_client):
    response = admin_client.get("/changes/999999/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "There is no page at <code>/changes/999999/</code>" in html
    assert 'action="/logout/"' in html and 'href="/"' in html


def test_a_server_error_says_where_to_look_before_trying_again():
    response = server_error(RequestFactory().get("/changes/1/restore/"))

    assert response.status_code == 500
    html = response.content.decode()
    assert "Server error" in html and 'href="/changes/"' in html and "before trying again" in html


def test_a_form_from_before_the_last_login_is_refused_saying_why_and_that_nothing_was_done(admin_user):
    from django.test import Client

    from mailserver.core.models import Change

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    change = Change.objects.create(
        username="admin", node="test", target="control/databytes", action="write", before="2000\n",
        after="5000000\n", result="applied",
    )  # fmt: skip

    response = client.post(
        f"/changes/{change.pk}/restore/", {"confirm": "yes", "csrfmiddlewaretoken": "stale"}
    )

    assert response.status_code == 403
    html = response.content.decode()
    assert "Not done: the page was out of date" in html and "Nothing was sent to the mail server" in html
    assert 'action="/logout/"' in html
    assert not Change.objects.filter(restored_from=change).exists()


def test_logout_opened_as_a_page_says_how_to_log_out_and_does_nothing(admin_client):
    response = admin_client.get("/logout/")

    assert response.status_code == 405 and response["Allow"] == "POST, OPTIONS"
    html = " ".join(response.content.decode().split())
    assert "<code>/logout/</code> is what a button sends" in html and "press Log out at the top" in html
    assert admin_client.get("/changes/").status_code == 200  # still logged in


def test_a_restore_opened_as_a_page_does_nothing(admin_client):
    from mailserver.core.models import Change

    change = Change.objects.create(
        username="admin", node="test", target="control/databytes", action="write", result="applied"
    )

    response = admin_client.get(f"/changes/{change.pk}/restore/")

    assert (
        response.status_code == 405
        and "Use the button on the page that offers it" in response.content.decode()
    )
    assert not Change.objects.filter(restored_from=change).exists()
