"""Redis killed or frozen while an admin saves: the page never claims a change it cannot vouch for.

A save answered "Saved" must be on disk; one answered "Nothing was changed" must not
be; anything in between is "not confirmed". The admin's typed value stays in the
form in every case, and the panel recovers once Redis is back, without a restart.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest

from mailserver.core.models import Change
from tests.support.mta_forms import section_data

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SAVE = "/mailserver/mta/save/inbound/"


def _post(client, data):
    response = client.post(SAVE, data, HTTP_HX_REQUEST="true")
    return response, response.content.decode()


def _outcome(html: str) -> str:
    if "Nothing was changed" in html:
        return "not applied"
    if "Not confirmed" in html or "not confirmed" in html:
        return "unconfirmed"
    if "Saved" in html.replace("Not saved", ""):
        return "saved"
    return "other"


def test_a_save_with_redis_killed_says_nothing_changed_and_keeps_the_input(admin_client, private_node):
    data = section_data("inbound", databytes="7777777")
    private_node.redis_process().send_signal(signal.SIGKILL)
    response, html = _post(admin_client, data)
    assert _outcome(html) == "not applied"
    assert response["HX-Retarget"] == "#section-inbound .agent-status"  # the typed 7777777 stays in the form
    assert (private_node.roots.qmail / "control/databytes").read_text() == "2000\n"
    assert list(Change.objects.values_list("result", flat=True)) == ["unreachable"]

    private_node.start_redis()  # Redis is back: the same web process saves again, no restart needed
    deadline = time.monotonic() + 30
    while True:
        response, html = _post(admin_client, section_data("inbound", databytes="7777777"))
        if _outcome(html) == "saved" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert _outcome(html) == "saved", html
    assert (private_node.roots.qmail / "control/databytes").read_text() == "7777777\n"


def test_a_save_with_redis_frozen_is_never_reported_other_than_it_ended(admin_client, private_node):
    control = private_node.roots.qmail / "control/databytes"
    outcomes = []
    for attempt, freeze_after in enumerate([0.0, 0.002, 0.01, 0.05]):
        value = str(8_000_000 + attempt)  # above 10 KB: small sizes need a confirmation
        before = control.read_text()
        data = section_data("inbound", databytes=value)
        redis = private_node.redis_process()
        thawed = threading.Timer(freeze_after + 7.0, lambda r=redis: r.send_signal(signal.SIGCONT))
        threading.Timer(freeze_after, lambda r=redis: r.send_signal(signal.SIGSTOP)).start()
        thawed.start()
        response, html = _post(admin_client, data)
        thawed.join()
        time.sleep(3)  # whatever reached Redis before it froze has now run, or been refused as expired
        outcome = _outcome(html)
        outcomes.append(outcome)
        on_disk = control.read_text()
        assert outcome in {"saved", "unconfirmed", "not applied"}, html
        if outcome == "saved":
            assert on_disk == value + "\n"
        if outcome == "not applied":
            assert on_disk == before
        if outcome != "saved":
            assert response["HX-Retarget"] == "#section-inbound .agent-status"
    recorded = list(Change.objects.order_by("id").values_list("result", flat=True))
    assert recorded == [
        {"saved": "applied", "unconfirmed": "unconfirmed", "not applied": "unreachable"}[o] for o in outcomes
    ]
