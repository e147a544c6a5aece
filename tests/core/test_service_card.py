"""The service card drawn from an agent's status, without an agent: what each state says."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from django import forms
from django.template.loader import render_to_string
from django.test import RequestFactory

from mailserver.core.service_views import card_context

STAMP = 1_796_139_796.25  # 2026-12-01 15:43:16 UTC


def status(**changes: Any) -> dict[str, Any]:
    base = {
        "name": "qmail-smtpd", "exists": True, "installed": True, "missing": [], "supervised": True,
        "up": True, "pid": 4242, "seconds": 0, "since": STAMP, "normally_up": True, "want": "up",
        "paused": False, "summary": "up (pid 4242) 0 seconds", "state": "up", "failing": "",
        "restarts": 0, "log": {"summary": "up (pid 17) 300 seconds", "state": "up"}, "log_tail": [],
    }  # fmt: skip
    return {**base, **changes}


def card(status: dict[str, Any], *, can_change: bool = True) -> str:
    request = RequestFactory().get("/mailserver/mta/")
    context = {**card_context(request, status, on_page=True), "can_change": can_change}
    return render_to_string("components/service_card.html", context, request=request)


def test_a_failing_service_shows_why_and_its_logs_last_lines_escaped() -> None:
    html = card(
        status(
            state="failing",
            failing="it exited right after starting and supervise started it again (2 restarts within 2.5 s)",
            log_tail=[
                {"at": STAMP, "text": "QMAILDUID, NOFILESGID, MAXSMTPD, or LOCAL is unset in"},
                {"at": None, "text": "<img src=x onerror=alert(1)>"},
            ],
        )
    )
    assert 'data-testid="status-qmail-smtpd">failing<' in html
    assert "Keeps restarting:</strong> it exited right after starting" in html
    assert "15:43:16 QMAILDUID, NOFILESGID, MAXSMTPD, or LOCAL is unset in" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert re.search(r'data-testid="stop-qmail-smtpd"\s*>', html)  # it can be stopped
    assert re.search(r'data-testid="start-qmail-smtpd"\s*disabled', html)  # supervise already wants it up


def test_a_service_that_is_not_installed_says_which_program_is_missing() -> None:
    html = card(
        status(
            state="not installed", installed=False, missing=["/var/qmail/bin/qmail-smtpd"],
            up=False, pid=None, want="down", summary="down 70 seconds", normally_up=False,
        )
    )  # fmt: skip
    assert "Not installed: /var/qmail/bin/qmail-smtpd is missing, so it cannot be started" in html
    # svstat's "down 70 seconds" and the log's state read as a service that stopped a minute ago.
    assert "down 70 seconds" not in html and "· log" not in html
    assert 'data-testid="start-qmail-smtpd" disabled aria-describedby="why-qmail-smtpd"' in html
    assert (
        'data-testid="boot-qmail-smtpd" aria-pressed="false" disabled aria-describedby="why-qmail-smtpd"'
        in html
    )


def test_its_buttons_return_to_the_page_it_is_on_and_stop_goes_to_a_confirmation() -> None:
    html = card(status(seconds=300, summary="up (pid 4242) 300 seconds"))
    assert html.count('name="next" value="/mailserver/mta/"') == 4
    assert 'method="get" action="/services/qmail-smtpd/down/"' in html
    assert 'method="post" action="/services/qmail-smtpd/up/"' in html


def test_a_viewer_sees_no_buttons() -> None:
    html = card(status(), can_change=False)
    assert "<form" not in html and "Starts at boot." in html


def missing(name: str, **changes: Any) -> dict[str, Any]:
    return status(
        name=name, exists=False, supervised=False, up=False, pid=None, want=None, normally_up=False,
        state="missing", summary="unable to chdir", log=None, **changes,
    )  # fmt: skip


def test_a_missing_daemon_the_panel_brings_can_be_set_up_from_its_card() -> None:
    html = card(missing("spamd"))
    assert "Not set up on this server: there is no service directory spamd for svscan." in html
    assert "unable to chdir" not in html  # svstat's line, said in words instead
    assert "The panel can set it up with its own run script, stopped and not starting at boot." in html
    assert 'method="post" action="/services/spamd/setup/"' in html
    assert 'data-testid="setup-spamd"' in html
    absent = card(missing("spamd", installed=False, missing=["/usr/sbin/spamd"]))
    assert "(it cannot start until /usr/sbin/spamd is installed)" in absent


def test_qmails_own_services_are_not_offered_a_set_up_nor_are_viewers() -> None:
    assert "setup" not in card(missing("qmail-smtpd"))
    assert "/setup/" not in card(missing("clamd"), can_change=False)


RESTARTED = {"at": STAMP, "found": "down 12 seconds", "action": "svc -u", "result": "started", "ok": True}
AUTO_RESTART = {
    "enabled": True, "intent": "up", "checked_at": STAMP + 20, "watchdog_running": True,
    "last_restart": RESTARTED, "last_event": RESTARTED,
}  # fmt: skip


class Section(forms.Form):
    pass


def section(state: dict[str, Any], services: list[dict[str, Any]]) -> str:
    """The shared section box of a page (templates/sections/_section.html), as flow.box fills it."""
    declared = SimpleNamespace(slug="daemon", title="Daemon", intro="", details=None)
    box = {"section": declared, "form": Section(), "state": state, "services": services, "save_url": "/x/"}
    request = RequestFactory().get("/mailserver/spam/")
    return render_to_string("sections/_section.html", {"box": box, "can_change": True}, request=request)


def test_a_section_gives_each_card_the_auto_restart_its_pages_state_carries() -> None:
    spamd = status(name="spamd", summary="up (pid 4242) 300 seconds")
    html = section({"auto_restart": {"spamd": AUTO_RESTART}}, [spamd])
    assert 'data-testid="auto-restart-state-spamd">on<' in html
    assert "Last restarted by the panel: 2026-12-01 15:43:16 (it was down 12 seconds)." in html
    assert 'name="enabled" value="off"' in html and "watchdog-not-running" not in html
    assert "It should run: you last started it here." in html
    stopped = section({"auto_restart": {"spamd": {**AUTO_RESTART, "intent": "down"}}}, [spamd])
    assert "It should stay stopped: you last stopped it here" in stopped


def test_the_warning_when_auto_restart_is_on_and_the_watchdog_does_not_run() -> None:
    stopped = {**AUTO_RESTART, "watchdog_running": False, "last_restart": None}
    html = section({"auto_restart": {"spamd": stopped}}, [status(name="spamd")])
    assert "The watchdog is not running, so Auto-Restart does nothing." in html
    assert "Its last check was at 2026-12-01 15:43:36." in html
    off = section({"auto_restart": {"spamd": {**stopped, "enabled": False}}}, [status(name="spamd")])
    assert "watchdog-not-running" not in off and 'auto-restart-state-spamd">off<' in off


def test_a_page_whose_state_has_no_auto_restart_shows_the_card_alone() -> None:
    html = section({"services": {}}, [status()])  # the MTA page's state
    assert 'id="service-qmail-smtpd"' in html and "auto-restart" not in html


def test_a_card_names_no_port_the_server_may_not_listen_on() -> None:
    # The MDA page's box beside the card reads the port from Courier's files (1143 on the test server,
    # 10143 in the demo); the card said "IMAP server (port 143)" whatever they held.
    html = card(status(name="courier-imapd", summary="up (pid 4242) 0 seconds"))
    assert '<div class="small text-muted">IMAP server</div>' in html
    assert "port" not in html.lower()
