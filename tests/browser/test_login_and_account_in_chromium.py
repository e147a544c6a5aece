"""The login, two-factor and change log pages in Chromium: the Permissions-Policy is taken without
complaint, the node's name waits for the login, a session that ended says so."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.support.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def roots(agent_in_process):
    return agent_in_process


def test_chromium_takes_the_permissions_policy_and_turns_features_off(page: Page, live_server, db) -> None:
    complaints: list[str] = []

    def heard(message: ConsoleMessage) -> None:
        if "Permissions-Policy" in message.text or "Permissions policy" in message.text:
            complaints.append(message.text)

    page.on("console", heard)
    page.goto(f"{live_server.url}/login/")
    allowed = page.evaluate(
        "['camera', 'microphone', 'geolocation', 'payment', 'usb', 'browsing-topics']"
        ".filter((feature) => document.featurePolicy.allowsFeature(feature))"
    )
    assert allowed == []
    assert complaints == [], complaints  # every feature named is one Chromium knows: no header error logged


def test_the_two_factor_key_reads_in_fours_copies_whole_and_is_spelt_to_a_screen_reader(
    page: Page, live_server, admin_user, roots
) -> None:
    log_in(page, f"{live_server.url}/account/two-factor/")
    plain = page.get_by_test_id("totp-secret")
    secret = plain.inner_text()

    expect(page.get_by_test_id("totp-key-grouped")).to_have_text(
        " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    )
    plain.click()  # one click selects the whole key, ready for Ctrl+C
    assert page.evaluate("getSelection().toString()") == secret
    tree = page.locator("main").aria_snapshot()
    assert "Key, letter by letter: " + " ".join(secret[:4]) + ", " in tree
    assert secret[:4] + " " + secret[4:8] not in tree  # the grouped text is not read as words


def test_after_the_session_ended_the_login_says_why_and_names_no_host(
    page: Page, live_server, admin_user, roots
) -> None:
    from django.contrib.sessions.models import Session

    page.goto(f"{live_server.url}/login/")
    expect(page.get_by_test_id("session-ended")).to_have_count(0)  # a plain visit: nothing to explain
    assert page.title() == "Log in"
    expect(page.locator("header")).not_to_contain_text("node")
    log_in(page, f"{live_server.url}/mailserver/mta/")
    expect(page.locator("header")).to_contain_text("node test")

    Session.objects.all().delete()  # its 8 hours are over
    page.goto(f"{live_server.url}/mailserver/mta/")

    page.wait_for_url(f"{live_server.url}/login/?next=/mailserver/mta/")
    notice = page.get_by_test_id("session-ended")
    expect(notice).to_have_text("Your session ended; log in again to go on to the MTA page.")
    expect(page.locator("#id_username")).to_be_focused()
    expect(page.locator("#id_username")).to_have_accessible_description(
        "Your session ended; log in again to go on to the MTA page."
    )
    expect(page.locator("header")).not_to_contain_text("node")


def test_a_service_actions_link_and_page_say_state_before_and_after(
    page: Page, live_server, admin_user, roots
) -> None:
    from mailserver.core.models import Change

    stop = Change.objects.create(
        username="admin",
        node="test",
        target="service qmail-send",
        action="svc -d",
        before="up (pid 4242) 3600 seconds\n",
        after="down 0 seconds\n",
        result="applied",
    )
    log_in(page, f"{live_server.url}/changes/")

    expect(page.get_by_role("link", name="diff")).to_have_count(0)
    page.get_by_role("link", name="state before/after").click()

    page.wait_for_url(f"{live_server.url}/changes/{stop.pk}/")
    expect(page.get_by_test_id("state-before")).to_have_text("up (pid 4242) 3600 seconds")
    expect(page.get_by_test_id("state-after")).to_have_text("down 0 seconds")
    expect(page.get_by_test_id("diff")).to_have_count(0)


def test_the_dashboards_services_table_heads_the_uptime_column_for_what_it_holds(
    page: Page, live_server, admin_user, roots
) -> None:
    log_in(page, f"{live_server.url}/")

    table = page.get_by_test_id("services-card").get_by_role("table")
    expect(table.get_by_role("columnheader", name="In this state for", exact=True)).to_be_visible()
    expect(table.get_by_role("columnheader", name="For", exact=True)).to_have_count(0)
