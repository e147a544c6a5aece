"""The dashboard against the agent's operations (in process) on the captured queue snapshot."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from mailserver.core import nodes
from mailserver.core.navigation import PAGES_BY_SLUG
from mailserver.dashboard.models import QueueSample
from mailserver.services import registry

pytestmark = pytest.mark.django_db


def _text(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', html)
    assert found, f"no {testid} in the page"
    return found.group(1).strip()


def test_shows_the_queue_counts_linked_to_the_mail_queue_page(admin_client, roots):
    html = admin_client.get("/").content.decode()
    counts = {q: _text(html, f"count-{q}") for q in ("local", "remote", "todo", "messages")}
    assert counts == {"local": "5", "remote": "20", "todo": "2", "messages": "27"}
    assert html.count(f'href="{PAGES_BY_SLUG["queue"].url()}"') >= 3  # each count opens the queue


def test_shows_every_registered_service_and_not_installed_is_grey(admin_client, roots):
    html = admin_client.get("/").content.decode()
    for service in registry.SERVICES:
        assert f'data-testid="service-row-{service.name}"' in html
        page = PAGES_BY_SLUG[service.page.value].url()
        link = f'<a href="{page}#service-{service.name}" id="service-link-{service.name}">{service.name}</a>'
        assert link in html  # its card on its page
    # The test server has none of qmail's programs: "not installed" is grey, never the red of "down".
    badge = re.search(r'<span class="badge text-bg-(\w+)" data-testid="state-qmail-send">([^<]*)<', html)
    assert badge and badge.groups() == ("secondary", "not installed")
    assert "text-bg-danger" not in html


def test_shows_the_mail_hosts_figures_for_the_queues_file_system(admin_client, roots):
    html = admin_client.get("/").content.decode()
    inodes = os.statvfs(roots.queue_dir).f_files
    assert f"of {inodes:,} (" in _text(html, "system-inodes")
    assert re.fullmatch(r"[\d.]+ [\d.]+ [\d.]+", _text(html, "system-load"))
    assert "%" in _text(html, "system-memory") and "%" in _text(html, "system-space")


def test_the_first_view_stores_a_sample_and_the_next_within_five_minutes_does_not(admin_client, roots):
    admin_client.get("/")
    sample = QueueSample.objects.get()
    assert (sample.node, sample.local, sample.remote, sample.todo, sample.messages) == ("test", 5, 20, 2, 27)
    admin_client.get("/dashboard/live/")
    assert QueueSample.objects.count() == 1
    QueueSample.objects.update(at=timezone.now() - timedelta(minutes=6))  # five minutes have gone by
    admin_client.get("/dashboard/live/")
    assert QueueSample.objects.count() == 2


def test_the_trend_chart_gets_the_stored_samples_and_the_counts_now(admin_client, roots):
    now = timezone.now()
    for minutes, remote in ((120, 3), (60, 9)):
        QueueSample.objects.create(node="test", at=now - timedelta(minutes=minutes), local=1, remote=remote,
                                   todo=0, messages=remote + 1)  # fmt: skip
    html = admin_client.get("/").content.decode()
    data = re.search(r'<script id="queue-trend-data" type="application/json">([^<]*)</script>', html)
    assert data and '"remote": [3, 9, 20]' in data.group(1)
    assert "vendor/chartjs/chart.umd" in html and "js/dashboard.js" in html


def test_the_refreshing_part_is_served_alone_and_polls_itself(admin_client, roots):
    html = admin_client.get("/dashboard/live/").content.decode()
    assert "<html" not in html and "Recent changes" not in html
    assert _text(html, "count-remote") == "20"
    assert 'hx-get="/dashboard/live/"' in html and 'hx-trigger="every 10s"' in html
    assert 'hx-swap="outerHTML"' in html


def test_a_queue_growing_fast_is_shown_as_a_warning(admin_client, roots):
    now = timezone.now()
    for minutes, remote in ((55, 150), (30, 260), (2, 420)):
        QueueSample.objects.create(node="test", at=now - timedelta(minutes=minutes), local=5, remote=remote,
                                   todo=2, messages=remote + 7)  # fmt: skip
    html = admin_client.get("/").content.decode()
    assert 'data-testid="queue-growing"' in html
    assert "The remote queue is growing fast: 150 → 420 messages" in html
    assert "(+180 %)" in html


def test_a_queue_that_grew_little_raises_no_warning(admin_client, roots):
    now = timezone.now()
    for minutes, remote in ((55, 900), (2, 1000)):  # +100 messages, but only 11 %
        QueueSample.objects.create(node="test", at=now - timedelta(minutes=minutes), local=5, remote=remote,
                                   todo=2, messages=remote + 7)  # fmt: skip
    html = admin_client.get("/").content.decode()
    assert 'data-testid="queue-growing"' not in html


def test_a_viewer_sees_the_dashboard(viewer_client, roots):
    response = viewer_client.get("/")
    assert response.status_code == 200
    assert _text(response.content.decode(), "count-remote") == "20"
    assert viewer_client.get("/dashboard/live/").status_code == 200


def test_logged_out_the_refreshing_part_is_not_served(client, roots):
    assert client.get("/dashboard/live/").status_code == 302


def test_when_the_agent_cannot_be_reached_it_says_so_keeps_the_trend_and_stores_nothing(
    admin_client, roots, monkeypatch
):
    QueueSample.objects.create(node="mail2", at=timezone.now() - timedelta(minutes=10), local=1, remote=4,
                               todo=0, messages=5)  # fmt: skip
    monkeypatch.setattr(nodes, "node_for", lambda request: "mail2")  # a node no agent serves here
    html = admin_client.get("/").content.decode()
    assert "The agent for node mail2 cannot be reached" in html
    assert 'data-testid="count-remote"' not in html
    assert '"remote": [4]' in html  # the stored trend is still drawn
    assert QueueSample.objects.count() == 1


def test_a_server_without_a_queue_is_said_and_the_services_are_still_shown(admin_client, roots):
    away = roots.queue_dir.with_name("queue.elsewhere")
    roots.queue_dir.rename(away)
    try:
        html = admin_client.get("/").content.decode()
    finally:
        away.rename(roots.queue_dir)
    assert "There is no queue on this server" in _text(html, "queue-error")
    assert 'data-testid="count-remote"' not in html
    assert _text(html, "state-qmail-send") == "not installed"
    assert not QueueSample.objects.exists()
