"""The MTA page against the real agent: what admins see and what saving does on disk."""

from __future__ import annotations

import dataclasses

import pytest

from mailserver.core.models import Change
from mailserver.qmail import runscript
from tests.support.mta_forms import post_section, section_data

pytestmark = pytest.mark.django_db


def test_page_shows_the_values_in_the_servers_files(admin_client):
    html = admin_client.get("/mailserver/mta/").content.decode()
    assert 'value="2000"' in html  # control/databytes
    assert "mail.example.test" in html
    assert "@spam.example.test" in html
    assert "not installed" in html  # qmail's programs are not on the test server


def test_saving_message_size_writes_databytes_and_logs_the_change(admin_client, roots):
    response = post_section(admin_client, "inbound", databytes="10485760")
    assert response.status_code == 200
    assert roots.control("databytes").read_text() == "10485760\n"
    assert "control/databytes applies to the next SMTP connection" in response.content.decode()
    change = Change.objects.get(target="control/databytes")
    assert (change.before, change.after) == ("2000\n", "10485760\n")
    assert (change.result, change.username) == ("applied", "admin")


def test_refuses_a_number_qmail_would_misread_and_keeps_the_input(admin_client, roots):
    response = post_section(admin_client, "inbound", databytes="20x")
    html = response.content.decode()
    assert 'value="20x"' in html
    assert "20x" in html and "whole number" in html.lower()
    assert roots.control("databytes").read_text() == "2000\n"
    assert not Change.objects.exists()


def test_only_the_fields_the_admin_changed_are_written(admin_client, roots):
    post_section(admin_client, "inbound", timeoutsmtpd="600")
    assert roots.control("timeoutsmtpd").read_text() == "600\n"
    assert not roots.control("smtpgreeting").exists()  # untouched: qmail's default stays
    assert [c.target for c in Change.objects.all()] == ["control/timeoutsmtpd"]


def test_a_hand_edit_made_while_the_page_was_open_is_not_overwritten(admin_client, roots):
    data = section_data("inbound", databytes="5242880")
    roots.control("databytes").write_text("3000\n")  # someone edits the file meanwhile
    html = admin_client.post("/mailserver/mta/save/inbound/", data, HTTP_HX_REQUEST="true").content.decode()
    assert "changed on the server" in html
    assert "it now holds: 3000" in html  # the admin sees what the server holds now
    assert 'value="5242880"' in html  # and keeps what they typed
    assert roots.control("databytes").read_text() == "3000\n"
    assert Change.objects.get().result == "conflict"


def test_refuses_auth_required_on_port_25(admin_client, roots):
    before = (roots.service_dir("qmail-smtpd") / "run").read_text()
    html = post_section(admin_client, "primary", auth_mode="auth_required/tls_optional").content.decode()
    assert "must not be required on port 25" in html
    assert (roots.service_dir("qmail-smtpd") / "run").read_text() == before


def test_blank_optional_field_restores_qmails_default(admin_client, roots):
    post_section(admin_client, "inbound", databytes="")
    assert not roots.control("databytes").exists()


def test_route_tester_follows_qmail_remotes_lookup_and_warns_of_loops(admin_client, roots):
    html = admin_client.post(
        "/mailserver/mta/route-test/", {"address": "bob@sink.example.net"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "127.0.0.1" in html and "2526" in html
    roots.control("smtproutes").write_text("loop.example:127.0.0.1:25\n")
    html = admin_client.post(
        "/mailserver/mta/route-test/", {"address": "x@loop.example"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-testid="route-loop"' in html


def test_route_tester_says_a_local_domain_is_delivered_here_not_by_the_catch_all(admin_client, roots):
    html = admin_client.post(
        "/mailserver/mta/route-test/", {"address": "bob@example.test"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-testid="route-local">delivered locally (control/locals)' in html
    assert "relay <code>" not in html and "catch-all" not in html


def test_route_tester_without_htmx_answers_with_the_whole_page_and_its_answer_in_place(admin_client, roots):
    response = admin_client.post("/mailserver/mta/route-test/", {"address": "bob@sink.example.net"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in html and 'id="section-inbound"' in html  # the page, not the tester's fragment alone
    assert 'data-testid="route-result"' in html and "2526" in html
    assert 'value="bob@sink.example.net"' in html
    assert 'action="/mailserver/mta/route-test/#route-tester"' in html  # the browser shows the answer
    assert "no-store" in response["Cache-Control"]


def test_route_tester_without_htmx_keeps_a_refused_address_beside_its_error(admin_client, roots):
    html = admin_client.post("/mailserver/mta/route-test/", {"address": "bob@"}).content.decode()
    assert 'id="section-inbound"' in html
    assert "Enter a full address, user@domain." in html
    assert 'value="bob@"' in html
    assert 'data-testid="route-result"' not in html


def test_server_content_in_help_texts_is_escaped(admin_client, roots):
    roots.control("databytes").write_text("<script>alert(1)</script>\n")
    html = admin_client.get("/mailserver/mta/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_alternate_server_moved_to_port_25_is_refused_as_taken_by_qmail_smtpd(admin_client, roots):
    before = roots.service_dir("qmail-submission").joinpath("run").read_text()
    html = post_section(admin_client, "alternate", port="25").content.decode()
    assert "Port 25 is already used by qmail-smtpd." in html
    assert "Require it on the alternate" not in html  # the admin is on the alternate server's box
    assert roots.service_dir("qmail-submission").joinpath("run").read_text() == before


def test_default_domain_is_explained_as_qmail_inject_uses_it(admin_client):
    # qmail-inject(8): defaultdomain goes after host names without dots; "fred" gets defaulthost.
    html = admin_client.get("/mailserver/mta/").content.decode()
    assert "Appended by qmail-inject to a host name without dots" in html
    assert "becomes fred@this domain" not in html


def test_the_hand_edit_confirmation_points_at_the_marked_fields_above_it(admin_client, roots):
    roots.control("smtpgreeting").write_text("mail.example.test\nsecond line\n")
    html = admin_client.get("/mailserver/mta/").content.decode()
    assert "Hand edit on the server: qmail reads only the first line" in html
    # The box lists its fields, then the checkbox: it said "shown above" and "a file below" at once.
    assert "Replace the hand edits shown above" in html and "a file below" not in html
    assert "Only needed for a field above marked &quot;Hand edit on the server&quot;" in html


def test_the_alternate_server_on_pop3s_port_is_refused_beside_the_port(admin_client, roots):
    before = roots.service_dir("qmail-submission").joinpath("run").read_text()
    html = post_section(admin_client, "alternate", port="110").content.decode()
    assert "Port 110 is POP3&#x27;s (qmail-pop3d)" in html and 'value="110"' in html
    assert roots.service_dir("qmail-submission").joinpath("run").read_text() == before


def test_route_tester_says_an_address_literal_is_connected_to_directly(admin_client, roots):
    roots.control("smtproutes").write_text("example.test:relay.example.net\n")
    html = admin_client.post(
        "/mailserver/mta/route-test/", {"address": "postmaster@[192.0.2.7]"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    # It said "MX lookup for [192.0.2.7]": qmail-remote takes the address as it is.
    assert "straight to <code>192.0.2.7</code> port <code>25</code>, no MX lookup" in html
    assert "MX lookup for [192.0.2.7]" not in html


def test_a_panel_script_still_reading_the_old_rules_says_so_and_that_a_save_rewrites_it(admin_client, roots):
    path = roots.service_dir("qmail-smtpd") / "run"
    now = runscript.parse_smtpd(path.read_text(), roots)
    assert now.params is not None
    before_dir = roots.system / "etc-before-the-move"
    then = dataclasses.replace(now.params, tcprules_cdb=str(before_dir / "tcp.smtp.cdb"))
    path.write_text(runscript.render_smtpd(then, dataclasses.replace(roots, tcprules=before_dir)))
    html = admin_client.get("/mailserver/mta/").content.decode()
    assert 'data-testid="rules-moved-primary"' in html  # was: "edited by hand"
    assert f"It still reads its rules from {before_dir}/tcp.smtp.cdb" in html
