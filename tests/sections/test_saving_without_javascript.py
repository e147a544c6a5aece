"""A save without JavaScript (or with htmx failing to load) lands at its box, for every page of sections.

The form's action carries the box's answer as a fragment: the browser keeps it for the whole page
that answers a refused save and for the redirect after a save, so the admin is shown the box's
errors or its notice, not the top of the page. With htmx the box is swapped as before.
"""

from __future__ import annotations

import re

import pytest

from mailserver.core import agent
from mailserver.core.sections.declaration import SectionPage
from mailserver.mda.sections import PAGE as MDA
from mailserver.mta.sections import PAGE as MTA
from mailserver.spam.sections import PAGE as SPAM
from mailserver.virus.sections import PAGE as VIRUS
from tests.support.section_posts import section_data

pytestmark = pytest.mark.django_db

SAVE = "/mailserver/mta/save/outbound/"


@pytest.fixture
def roots(agent_in_process):
    return agent_in_process


def box_of(html: str, slug: str) -> str:
    """One box of a whole page, from its <section> to the next box's."""
    start = html.index(f'<section class="card section-card mt-3" id="section-{slug}"')
    end = html.find('<section class="card section-card', start + 1)
    return html[start : end if end != -1 else len(html)]


@pytest.mark.parametrize("section_page", [MTA, MDA, SPAM, VIRUS], ids=lambda p: p.namespace)
def test_every_box_posts_without_javascript_to_an_answer_at_its_top(
    admin_client, roots, section_page: SectionPage
):
    html = admin_client.get(f"/mailserver/{section_page.namespace}/").content.decode()
    for section in section_page.sections:
        save = f"/mailserver/{section_page.namespace}/save/{section.slug}/"
        box = box_of(html, section.slug)
        assert f'action="{save}#section-{section.slug}-answer"' in box
        assert f'hx-post="{save}"' in box  # htmx posts where it did


def test_the_eicar_test_without_javascript_answers_at_the_test(admin_client, roots):
    roots.control("simcontrol").unlink(missing_ok=True)  # as the Virus page's tests have it
    html = admin_client.get("/mailserver/virus/").content.decode()
    assert 'action="/mailserver/virus/scan-eicar/#eicar-test"' in html
    assert 'hx-post="/mailserver/virus/scan-eicar/"' in html
    assert 'id="eicar-test"' in html


def test_a_refused_save_answers_at_its_box_with_every_error_linked_to_its_field(admin_client, roots):
    data = section_data(MTA, "outbound", timeoutremote="soon", concurrencyremote="20x")
    response = admin_client.post(SAVE, data)
    html = response.content.decode()
    assert response.status_code == 200 and "<h1" in html  # the whole page

    box = box_of(html, "outbound")
    answer = re.search(r'<div class="alert[^"]*" id="section-outbound-answer"[^>]*>(.*?)</div>', box, re.S)
    assert answer is not None, "the box the browser lands at has no answer"
    assert 'role="alert" tabindex="-1"' in answer.group(0)  # read out, and focused by the fragment
    assert "Not saved: 2 errors." in answer.group(1)
    assert 'href="#id_outbound-concurrencyremote"' in answer.group(1)
    assert 'href="#id_outbound-timeoutremote"' in answer.group(1)
    assert box.index('id="section-outbound-answer"') < box.index("<form")  # at the box's top
    assert 'value="soon"' in box and 'value="20x"' in box  # the input kept
    assert re.findall(r'id="(section-[\w-]+-answer)"', html) == ["section-outbound-answer"]  # that box alone
    assert not roots.control("timeoutremote").exists()  # nothing written


def test_a_save_redirects_to_its_box_which_says_saved_once(admin_client, roots):
    response = admin_client.post(SAVE, section_data(MTA, "outbound", queuelifetime="3 days"))
    assert response.status_code == 302
    assert response["Location"] == "/mailserver/mta/#section-outbound-answer"
    assert roots.control("queuelifetime").read_text() == "259200\n"

    html = admin_client.get("/mailserver/mta/").content.decode()
    notice = re.search(r'<div class="alert[^"]*" id="section-outbound-answer"[^>]*>([^<]*)</div>', html)
    assert notice is not None, "the box the browser lands at says nothing"
    assert 'role="status" tabindex="-1"' in notice.group(0)
    assert "control/queuelifetime" in notice.group(1)
    assert notice.group(0) in box_of(html, "outbound")
    assert html.count("control/queuelifetime takes effect") == 1  # in the box, not again above the page

    again = admin_client.get("/mailserver/mta/").content.decode()
    assert 'id="section-outbound-answer"' not in again  # said once: a reload shows the page as it is


def test_a_notice_the_page_could_not_show_is_not_said_on_a_later_visit(admin_client, roots, monkeypatch):
    admin_client.post(SAVE, section_data(MTA, "outbound", queuelifetime="3 days"))

    def unreachable(*args):
        raise agent.AgentUnavailable("The agent for node test cannot be reached. Nothing was changed.")

    with monkeypatch.context() as down:
        down.setattr(agent, "transport", unreachable)
        assert "cannot be reached" in admin_client.get("/mailserver/mta/").content.decode()
    html = admin_client.get("/mailserver/mta/").content.decode()
    assert 'id="section-outbound"' in html and 'id="section-outbound-answer"' not in html


def test_with_htmx_a_box_answers_in_place_as_before(admin_client, roots):
    htmx = {"HTTP_HX_REQUEST": "true"}
    refused = admin_client.post(SAVE, section_data(MTA, "outbound", timeoutremote="soon"), **htmx)
    html = refused.content.decode()
    assert "<h1" not in html and 'id="section-outbound-answer"' not in html
    assert 'data-testid="save-status-outbound">Not saved: 1 error' in html

    saved = admin_client.post(SAVE, section_data(MTA, "outbound", queuelifetime="3 days"), **htmx)
    html = saved.content.decode()
    assert saved.status_code == 200 and 'id="section-outbound-answer"' not in html
    assert '<div class="alert alert-success py-2" role="status" tabindex="-1" data-testid="notice">' in html
