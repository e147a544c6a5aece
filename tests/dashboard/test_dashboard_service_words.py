"""The dashboard's Mail services say in words what a grey or failing state means, as the service cards do."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_service_that_is_not_set_up_or_not_installed_says_so_in_words(admin_client, roots):
    html = " ".join(admin_client.get("/dashboard/live/").content.decode().split())

    # The test server: qmail's programs are absent, POP3 has no service directory.
    assert 'data-testid="why-qmail-send">its program is not installed</div>' in html
    assert 'data-testid="why-qmail-pop3d">not set up: no service directory</div>' in html


def test_a_service_that_is_up_needs_no_words():
    from mailserver.dashboard.present import service_rows

    pages = {"mta": "/m/", "mda": "/d/", "spam": "/s/", "virus": "/v/", "queue": "/q/", "logs": "/l/"}
    rows = {row.name: row for row in service_rows({"qmail-send": {"state": "up", "seconds": 60}}, pages)}

    assert rows["qmail-send"].why == ""
    assert rows["clamd"].why == "the agent did not answer"  # not in the agent's answer


def test_a_service_stopped_and_not_started_at_boot_says_so():
    from mailserver.dashboard.present import service_rows

    pages = {"mta": "/m/", "mda": "/d/", "spam": "/s/", "virus": "/v/", "queue": "/q/", "logs": "/l/"}
    statuses = {
        "freshclam": {"state": "down", "seconds": 600, "normally_up": False},
        "qmail-send": {"state": "down", "seconds": 5, "normally_up": True},
    }
    rows = {row.name: row for row in service_rows(statuses, pages)}

    assert (rows["freshclam"].uptime, rows["freshclam"].why) == ("10 min", "not started at boot either")
    assert rows["qmail-send"].why == ""  # down, but it would start at boot: nothing to add
