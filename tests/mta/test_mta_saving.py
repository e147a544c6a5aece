"""Saving on the MTA page as an admin meets it: units, unusual values, what failed, stale pages."""

from __future__ import annotations

import re

import pytest

from mailserver.core.models import Change
from tests.support.mta_forms import post_section, section_data

pytestmark = pytest.mark.django_db

SAVE = "/mailserver/mta/save/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def hidden_seen(html: str, slug: str) -> str:
    found = re.search(rf'name="{slug}-seen" value="([^"]*)"', html)
    assert found, "no seen field"
    return found[1].replace("&quot;", '"')


def test_message_size_takes_a_unit_and_qmail_gets_the_bytes(admin_client, roots):
    html = post_section(admin_client, "inbound", databytes="10 MB").content.decode()
    assert roots.control("databytes").read_text() == "10485760\n"
    assert "= 10 MiB" in html  # the echo beside the field
    assert 'value="10485760"' in html


def test_queue_lifetime_takes_days(admin_client, roots):
    post_section(admin_client, "outbound", queuelifetime="5 days")
    assert roots.control("queuelifetime").read_text() == "432000\n"


def test_a_message_size_of_ten_bytes_is_saved_only_once_confirmed(admin_client, roots):
    html = post_section(admin_client, "inbound", databytes="10").content.decode()
    assert "A limit of 10 bytes is smaller than almost every message" in html
    assert '<input type="checkbox" name="inbound-confirm_unusual"' in html
    assert "Not saved: 1 error" in html
    assert roots.control("databytes").read_text() == "2000\n"
    assert not Change.objects.exists()

    post_section(admin_client, "inbound", databytes="10", confirm_unusual=True)
    assert roots.control("databytes").read_text() == "10\n"


def test_a_queue_lifetime_of_seven_seconds_asks_first(admin_client, roots):
    html = post_section(admin_client, "outbound", queuelifetime="7").content.decode()
    assert "Mail qmail cannot deliver within 7 seconds would bounce" in html
    assert not roots.control("queuelifetime").exists()


def test_an_unusual_value_already_on_the_server_is_not_asked_about_again(admin_client, roots):
    # control/databytes holds 2000 on the test server: saving another field leaves it alone.
    post_section(admin_client, "inbound", timeoutsmtpd="600")
    assert roots.control("timeoutsmtpd").read_text() == "600\n"


def test_a_failed_save_says_how_many_errors_by_the_save_button(admin_client, roots):
    html = post_section(admin_client, "inbound", databytes="20x", timeoutsmtpd="soon").content.decode()
    assert 'data-testid="save-status-inbound">Not saved: 2 errors</span>' in html
    assert 'data-unsaved="true"' in html  # the box still holds what the admin typed, not the server


def test_a_saved_box_is_no_longer_marked_unsaved(admin_client, roots):
    html = post_section(admin_client, "inbound", timeoutsmtpd="600").content.decode()
    assert 'data-unsaved="true"' not in html and "save-status-inbound" not in html


def test_every_bad_line_of_a_blacklist_is_shown_at_once(admin_client, roots):
    html = post_section(
        admin_client, "blacklists", badmailfrom="ok@example.test\nnot an address\n@fine.example.test\nbad one"
    ).content.decode()
    errors = re.findall(r'<p id="error_\d+_id_blacklists-badmailfrom"><strong>(Line \d+)', html)
    assert errors == ["Line 2", "Line 4"]
    assert "Not saved: 2 errors" in html


def test_pages_that_edit_the_server_are_never_cached(admin_client, roots):
    assert "no-store" in admin_client.get("/mailserver/mta/")["Cache-Control"]
    assert "no-store" in post_section(admin_client, "inbound", timeoutsmtpd="600")["Cache-Control"]


def test_nothing_changed_is_said_only_when_the_server_holds_what_the_page_showed(admin_client, roots):
    roots.control("databytes").write_text("20971520\n")
    shown = section_data("inbound")  # the page as it was read: Message Size 20 MiB
    roots.control("databytes").write_text("31457280\n")  # changed in another tab meanwhile

    html = admin_client.post(f"{SAVE}inbound/", shown, **HTMX).content.decode()
    assert "Nothing changed" not in html
    assert "the server no longer holds what this page showed" in html
    assert "it now holds: 31457280" in html
    assert 'value="20971520"' in html  # what the page showed stays in the field

    # Saving again puts back what the admin sees on the page.
    admin_client.post(f"{SAVE}inbound/", {**shown, "inbound-seen": hidden_seen(html, "inbound")}, **HTMX)
    assert roots.control("databytes").read_text() == "20971520\n"

    again = admin_client.post(f"{SAVE}inbound/", section_data("inbound"), **HTMX).content.decode()
    assert "Nothing changed: the server already holds these values." in again


def test_every_box_has_one_heading_and_a_place_in_the_jump_list(admin_client, roots):
    from mailserver.mta.sections import SECTIONS

    html = admin_client.get("/mailserver/mta/").content.decode()
    headings = re.findall(r'<h2 class="h6 mb-0 fw-semibold" id="([a-z-]+)-title">', html)
    assert headings == [f"section-{s.slug}" for s in SECTIONS] + ["route-tester"]
    jumps = re.findall(r'<a class="nav-link px-2 py-1" href="#([a-z-]+)"', html)
    assert jumps == [f"section-{s.slug}" for s in SECTIONS] + ["route-tester"]
