"""The login, two-factor and change log pages in Chromium: the Permissions-Policy is taken without
complaint, the node's name waits for the login, a session that ended says so."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page

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
