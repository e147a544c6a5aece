"""The service card drawn from an agent's status, without an agent: what each state says."""

from __future__ import annotations

import re
from typing import Any

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
