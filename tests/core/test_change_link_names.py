"""Recent changes names the link to each change for what its page shows: a file's diff, or a
service's state before and after (a Start or Stop changed no file, it has no diff)."""

from __future__ import annotations

import re

import pytest

from mailserver.core.models import Change

pytestmark = pytest.mark.django_db


@pytest.fixture
def roots(agent_in_process):
    return agent_in_process


def _record(target: str, action: str, before: str, after: str) -> Change:
    return Change.objects.create(
        username="admin",
        node="test",
        target=target,
        action=action,
        before=before,
        after=after,
        result="applied",
    )


def _links(html: str) -> dict[str, str]:
    return dict(re.findall(r'href="/changes/(\d+)/" data-testid="change-link">([^<]*)<', html))


def test_a_service_action_links_to_its_states_and_a_file_change_to_its_diff(admin_client, roots):
    stop = _record("service qmail-send", "svc -d", "up (pid 4242) 3600 seconds\n", "down 0 seconds\n")
    script = _record("service qmail-smtpd/run", "write", "#!/bin/sh\n", "#!/bin/sh\nexec true\n")
    control = _record("control/databytes", "write", "", "10485760\n")

    links = _links(admin_client.get("/changes/").content.decode())

    assert links == {
        str(stop.pk): "state before/after",
        str(script.pk): "diff",
        str(control.pk): "diff",
    }


def test_a_service_actions_page_shows_the_state_before_and_after_not_a_diff(admin_client, roots):
    stop = _record("service qmail-send", "svc -d", "up (pid 4242) 3600 seconds\n", "down 0 seconds\n")

    html = admin_client.get(f"/changes/{stop.pk}/").content.decode()

    assert re.search(r'data-testid="state-before">up \(pid 4242\) 3600 seconds\s*<', html)
    assert re.search(r'data-testid="state-after">down 0 seconds\s*<', html)
    assert 'data-testid="diff"' not in html


def test_start_at_boot_turned_off_says_none_after(admin_client, roots):
    boot = _record("service qmail-pop3d", "boot off", "start at boot\n", "")

    html = admin_client.get(f"/changes/{boot.pk}/").content.decode()

    assert re.search(r'data-testid="state-after">\(none\)<', html)
