"""A page declared only in the tests is shown, saved and refused by the shared flow, as the MTA page is.

The Domains page (domains_page.py) is a declaration and a form; these tests drive it over HTTP
against the agent's operations in process.
"""

from __future__ import annotations

import pytest

from mailserver.core import agent
from mailserver.core.models import Change

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.sections.urls")]

URL = "/test-pages/domains/"
SAVE = f"{URL}save/domains/"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def roots(agent_in_process):
    return agent_in_process


def _form(client) -> dict[str, str]:
    """What the browser posts for the box, read from the page as shown."""
    from tests.sections.domains_page import PAGE

    form = PAGE.sections[0].form(state=agent.call("agent.mta.read_state"), prefix="domains")
    return {form.add_prefix(name): form.initial.get(name, "") for name in ("seen", "rcpthosts", "locals")}


def test_the_page_shows_its_box_with_the_servers_values_and_its_service(admin_client, roots):
    html = admin_client.get(URL).content.decode()
    assert 'id="section-domains-title">Accepted and Local Domains</h2>' in html
    assert 'href="#section-domains"' in html  # the jump list
    assert "mail.example.test\nlocalhost\nexample.test" in html  # control/locals as the textarea holds it
    assert 'data-testid="service-qmail-send"' in html
    assert "no-store" in admin_client.get(URL)["Cache-Control"]


def test_a_save_writes_the_file_says_when_it_takes_effect_and_is_logged(admin_client, roots):
    domains = "mail.example.test\nlocalhost\nexample.test\nnew.example.test"
    data = {**_form(admin_client), "domains-locals": domains}
    html = admin_client.post(SAVE, data, **HTMX).content.decode()
    assert roots.control("locals").read_text() == domains + "\n"
    assert "control/locals takes effect when qmail-send rereads it (svc -h)" in html
    assert not roots.control("rcpthosts").read_text().endswith("new.example.test\n")  # not changed: not sent
    assert Change.objects.get().target == "control/locals"


def test_invalid_lines_are_refused_beside_the_field_each_named_and_nothing_is_written(admin_client, roots):
    before = roots.control("rcpthosts").read_text()
    data = {**_form(admin_client), "domains-rcpthosts": "example.test\nnot a domain\n.com"}
    html = admin_client.post(SAVE, data, **HTMX).content.decode()
    assert "Line 2: " in html and "Line 3: " in html
    assert "Not saved: 2 errors" in html
    assert roots.control("rcpthosts").read_text() == before
    assert not Change.objects.exists()


def test_a_hand_edit_is_replaced_only_once_the_admin_confirms_it(admin_client, roots):
    roots.control("locals").write_text("# ours\nexample.test\n")
    data = {**_form(admin_client), "domains-locals": "example.test\nlocalhost"}
    html = admin_client.post(SAVE, data, **HTMX).content.decode()
    assert "edited by hand" in html and 'name="domains-replace_hand_edits"' in html
    assert Change.objects.get().result == "refused"
    assert roots.control("locals").read_text() == "# ours\nexample.test\n"

    admin_client.post(SAVE, {**data, "domains-replace_hand_edits": "on"}, **HTMX)
    assert roots.control("locals").read_text() == "example.test\nlocalhost\n"


def test_a_file_changed_since_the_page_was_read_is_shown_not_overwritten(admin_client, roots):
    data = {**_form(admin_client), "domains-locals": "example.test\nlocalhost"}
    roots.control("locals").write_text("other.example.test\n")
    html = admin_client.post(SAVE, data, **HTMX).content.decode()
    assert "Changed on the server while you edited; it now holds: other.example.test" in html
    assert Change.objects.get().result == "conflict"
    assert roots.control("locals").read_text() == "other.example.test\n"


def test_with_the_agent_down_the_box_says_not_saved_and_keeps_the_input(admin_client, roots, monkeypatch):
    data = {**_form(admin_client), "domains-locals": "example.test"}

    def unreachable(*args):
        raise agent.AgentUnavailable("The agent for node test cannot be reached. Nothing was changed.")

    monkeypatch.setattr(agent, "transport", unreachable)
    response = admin_client.post(SAVE, data, **HTMX)
    assert response["HX-Retarget"] == "#section-domains .agent-status"
    assert "Not saved." in response.content.decode()
    full = admin_client.post(SAVE, data)
    assert full.status_code == 503 and 'href="/test-pages/domains/#section-domains"' in full.content.decode()
