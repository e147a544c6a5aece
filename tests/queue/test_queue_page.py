"""The Mail Queue page's counts, purges and processing, against the agent's operations on the
captured snapshot queue (Local 5, Remote 20, Todo 2, 27 messages, 2 not yet preprocessed)."""

from __future__ import annotations

import re

import pytest

from mailserver.core.models import Change
from mailserver.qmail.queue.index import index_for
from mailserver.qmail.queue.layout import discover

pytestmark = pytest.mark.django_db

PAGE = "/mailserver/queue/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def counts(roots) -> tuple[int, int, int, int]:
    found = index_for(discover(roots.queue_dir)).counts()
    return found.local, found.remote, found.todo, found.messages


def shown(html: str, name: str) -> str:
    match = re.search(rf'data-testid="count-{name}">([^<]*)<', html)
    assert match, f"no count {name} on the page"
    return match[1]


def test_the_page_shows_the_snapshots_counts_and_qmail_qstats_figures(admin_client, roots):
    html = admin_client.get(PAGE).content.decode()
    assert [shown(html, n) for n in ("local", "remote", "todo", "messages", "unprocessed")] == [
        "5",
        "20",
        "2",
        "27",
        "2",
    ]
    assert 'id="service-qmail-send"' in html  # qmail-send's card, as on the MTA page


def test_purging_remote_asks_with_the_count_and_leaves_local(admin_client, roots):
    html = admin_client.post(f"{PAGE}purge/", {"queue": "remote"}, **HTMX).content.decode()
    assert "20 messages will be deleted" in html
    assert "purging deletes, it does not process" in html
    assert "Purging Remote deletes whole messages" in html
    assert counts(roots) == (5, 20, 2, 27)  # asking deleted nothing and recorded nothing
    assert not Change.objects.exists()

    response = admin_client.post(
        f"{PAGE}purge/", {"queue": "remote", "confirm": "yes", "expect_count": "20"}, **HTMX
    )
    html = response.content.decode()
    assert "20 messages deleted" in html
    assert shown(html, "remote") == "0"
    assert counts(roots)[:2] == (5, 0)  # whole messages went: those also waiting locally too
    assert response["HX-Trigger-After-Settle"] == "browse-stale"
    queue = Change.objects.get(target="queue")
    assert (queue.action, queue.result, queue.username) == ("purge remote", "applied", "admin")
    assert queue.message.startswith("20 messages deleted")


def test_a_purge_confirmed_for_a_count_the_queue_no_longer_holds_asks_again(admin_client, roots):
    html = admin_client.post(
        f"{PAGE}purge/", {"queue": "remote", "confirm": "yes", "expect_count": "19"}, **HTMX
    ).content.decode()
    assert "not the 19 you confirmed" in html
    assert "20 messages will be deleted" in html  # the new count, asked again
    assert 'name="expect_count" value="20"' in html
    assert counts(roots) == (5, 20, 2, 27)
    assert Change.objects.get().result == "conflict"


def test_purging_all_without_htmx_answers_with_the_whole_page(admin_client, roots):
    html = admin_client.post(f"{PAGE}purge/", {"queue": "all"}).content.decode()
    assert "27 messages will be deleted" in html and 'id="queue-browse"' in html
    html = admin_client.post(
        f"{PAGE}purge/", {"queue": "all", "confirm": "yes", "expect_count": "27"}
    ).content.decode()
    assert shown(html, "messages") == "0"
    assert counts(roots) == (0, 0, 0, 0)


def test_a_viewer_cannot_purge(viewer_client, roots):
    html = viewer_client.get(PAGE).content.decode()
    assert shown(html, "remote") == "20"
    assert 'data-testid="purge-remote"' not in html and 'data-testid="process-now"' not in html
    for url, data in [
        ("purge/", {"queue": "remote"}),
        ("purge/", {"queue": "remote", "confirm": "yes", "expect_count": "20"}),
        ("process/", {}),
        ("delete/", {"row": "1466748"}),
        ("expire/", {"row": "1466748"}),
        ("reset/", {"confirm": "yes"}),
        ("test/", {"sender": "a@example.test", "to": "b@example.test"}),
    ]:
        assert viewer_client.post(f"{PAGE}{url}", data).status_code == 403
    assert counts(roots) == (5, 20, 2, 27)
    assert not Change.objects.exists()


def test_each_label_leads_to_its_own_field(admin_client, roots):
    html = admin_client.get(PAGE).content.decode()
    ids = re.findall(r' id="([^"]+)"', html)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []  # the filter's and the test message's sender
    assert 'for="id_sender"' in html and 'for="id_test_sender"' in html


def test_processing_is_off_with_the_agents_reason_where_qmail_send_is_missing(admin_client, roots):
    html = admin_client.get(PAGE).content.decode()
    button = re.search(r'<button[^>]*data-testid="process-now"[^>]*>', html)
    assert button and "disabled" in button[0]
    assert "qmail-send is not installed on this server" in html
    assert "bin/qmail-start, " in html and "bin/qmail-send are missing)." in html  # two programs: "are"
    html = admin_client.post(f"{PAGE}process/", **HTMX).content.decode()
    assert 'data-testid="process-error"' in html and "qmail-send is not installed" in html
    assert Change.objects.get().result == "refused"


def test_with_the_agent_down_the_page_says_so_and_a_purge_records_nothing_done(
    admin_client, roots, monkeypatch
):
    from mailserver.core import agent

    def unreachable(*args):
        raise agent.AgentUnavailable("The agent for node test cannot be reached. Nothing was changed.")

    monkeypatch.setattr(agent, "transport", unreachable)
    html = admin_client.get(PAGE).content.decode()
    assert 'data-testid="agent-error"' in html and "cannot be reached" in html
    assert 'id="queue-stats"' not in html  # no counts made up
    html = admin_client.post(
        f"{PAGE}purge/", {"queue": "remote", "confirm": "yes", "expect_count": "20"}, **HTMX
    ).content.decode()
    assert "cannot be reached" in html
    assert counts(roots) == (5, 20, 2, 27)
    assert Change.objects.get().result == "unreachable"
