"""Each box of the MTA page does what the guide says, on the server's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailserver.core import agent
from tests.support.mta_forms import post_section, section_data

pytestmark = pytest.mark.django_db


def test_switching_double_bounces_off_points_them_at_a_discarding_alias(admin_client, roots):
    post_section(admin_client, "server", double_bounce="off")
    assert roots.control("doublebounceto").read_text() == "doublebounce-discard\n"
    assert roots.alias("doublebounce-discard").read_text() == "#\n"
    assert agent.call("agent.mta.read_state")["double_bounce"]["discarding"] is True

    post_section(admin_client, "server", double_bounce="on", doublebounceto="postmaster-team")
    assert roots.control("doublebounceto").read_text() == "postmaster-team\n"


def test_outbound_blacklist_entries_become_anchored_badrcptto_patterns(admin_client, roots):
    post_section(admin_client, "blacklists", badrcptto="victim@example.com\n@spamtrap.example.org")
    assert roots.control("badrcptto").read_text() == "^victim@example\\.com$\n@spamtrap\\.example\\.org$\n"
    html = admin_client.get("/mailserver/mta/").content.decode()
    assert "victim@example.com" in html  # shown back as the admin wrote it


def test_an_outbound_address_with_a_plus_is_blocked_as_written_not_read_as_a_regex(admin_client, roots):
    # Unescaped, "+" repeats the "t" before it: the line would block "lisstttag@…" but never list+tag@….
    post_section(admin_client, "blacklists", badrcptto="first.list+tag@example.com")
    assert roots.control("badrcptto").read_text() == "^first\\.list\\+tag@example\\.com$\n"
    html = admin_client.get("/mailserver/mta/").content.decode()
    assert "first.list+tag@example.com</textarea>" in html  # shown back as the admin wrote it


def test_inbound_blacklist_refuses_a_line_qmail_would_not_match(admin_client, roots):
    html = post_section(
        admin_client, "blacklists", badmailfrom="spammer@bad.example.test\nnot an address"
    ).content
    assert "Line 2" in html.decode()
    assert roots.control("badmailfrom").read_text() == "spammer@bad.example.test\n@spam.example.test\n"


def test_rbl_zones_become_rblsmtpd_options_in_the_smtp_run_script(admin_client, roots):
    post_section(admin_client, "rbl", zones="zen.spamhaus.org\nbl.spamcop.net")
    run = (roots.service_dir("qmail-smtpd") / "run").read_text()
    assert "rblsmtpd" in run and "zen.spamhaus.org" in run and "bl.spamcop.net" in run
    state = agent.call("agent.mta.read_state")["scripts"]["qmail-smtpd"]
    assert state["params"]["rbl_zones"] == ["zen.spamhaus.org", "bl.spamcop.net"]
    assert state["hand_edited"] is False


def test_outbound_connections_are_capped_at_qmails_compile_time_limit(admin_client, roots):
    html = post_section(admin_client, "outbound", concurrencyremote="500").content.decode()
    assert "silently lowers anything above conf-spawn (120)" in html
    assert not roots.control("concurrencyremote").exists()


def test_a_hand_edited_run_script_is_shown_and_replaced_only_after_confirmation(admin_client, roots):
    run = roots.service_dir("qmail-smtpd") / "run"
    original = run.read_text()
    try:
        run.write_text(original.replace("exec 2>&1", "exec 2>&1\n# tuned by hand"))
        data = section_data("primary", auth_mode="auth_no/tls_optional")
        html = admin_client.post(
            "/mailserver/mta/save/primary/", data, HTTP_HX_REQUEST="true"
        ).content.decode()
        assert "edited by hand" in html
        assert "# tuned by hand" in html  # the admin sees what would be replaced
        assert "# tuned by hand" in run.read_text()

        confirmed = section_data("primary", auth_mode="auth_no/tls_optional", replace_hand_edits=True)
        admin_client.post("/mailserver/mta/save/primary/", confirmed, HTTP_HX_REQUEST="true")
        assert "# tuned by hand" not in run.read_text()
        assert agent.call("agent.mta.read_state")["scripts"]["qmail-smtpd"]["params"]["auth_mode"] == (
            "auth_no/tls_optional"
        )
    finally:
        run.write_text(original)


def test_the_alternate_server_cannot_take_port_25(admin_client, roots):
    html = post_section(admin_client, "alternate", port="25").content.decode()
    assert "port 25" in html.lower()
    assert "PORT=587" in (roots.service_dir("qmail-submission") / "run").read_text()


def test_a_hand_edited_control_file_is_rewritten_only_after_confirmation(admin_client, roots):
    roots.control("badmailfrom").write_text("# blocked after the March incident\nspammer@bad.example.test\n")
    html = post_section(admin_client, "blacklists", badmailfrom="other@bad.example.test").content.decode()
    assert "edited by hand" in html
    assert "# blocked after the March incident" in roots.control("badmailfrom").read_text()

    post_section(admin_client, "blacklists", badmailfrom="other@bad.example.test", replace_hand_edits=True)
    assert roots.control("badmailfrom").read_text() == "other@bad.example.test\n"


def test_the_agent_itself_refuses_to_rewrite_a_hand_edit_without_confirmation(roots):
    roots.control("databytes").write_text("2000 # two kB\n")
    with pytest.raises(agent.AgentRefused) as refused:
        agent.call("agent.mta.write_controls", {"files": {"databytes": {"value": "3000"}}})
    assert (refused.value.kind, refused.value.field) == ("hand_edit", "databytes"), refused.value.message
    assert roots.control("databytes").read_text() == "2000 # two kB\n"


def test_replacing_a_life_with_qmail_script_says_which_old_values_were_not_kept(admin_client, roots):
    lwq = Path(__file__).resolve().parents[1] / "qmail" / "data" / "lwq-qmail-smtpd.run"
    run = roots.service_dir("qmail-smtpd") / "run"
    original = run.read_text()
    try:
        run.write_text(lwq.read_text())
        html = admin_client.get("/mailserver/mta/").content.decode()
        assert "not written by the panel" in html

        confirmed = section_data("primary", auth_mode="auth_no/tls_optional", replace_hand_edits=True)
        html = admin_client.post("/mailserver/mta/save/primary/", confirmed, HTTP_HX_REQUEST="true").content
        assert "softlimit" in html.decode()  # 2000000 is below what a 64-bit qmail-smtpd needs
        script = agent.call("agent.mta.read_state")["scripts"]["qmail-smtpd"]
        assert script["managed"] and not script["hand_edited"]
        assert script["params"]["softlimit"] == 20000000
    finally:
        run.write_text(original)


def test_a_route_repeated_for_the_same_domain_is_refused_and_nothing_is_written(admin_client, roots):
    before = roots.control("smtproutes").read_text()
    html = post_section(
        admin_client, "routes", smtproutes="example.com:relay1.example.net\nEXAMPLE.com:relay2.example.net"
    ).content.decode()
    # qmail-remote keeps only the last line of a domain: the admin's first route would silently be dead.
    assert "Line 1 routes example.com again on line 2; qmail-remote uses only the last" in html
    assert "EXAMPLE.com:relay2.example.net" in html  # the input is kept
    assert roots.control("smtproutes").read_text() == before


@pytest.mark.parametrize("disabled_before", [False, True])
def test_double_bounces_disabled_with_a_user_typed_in_is_refused_whichever_it_was_before(
    admin_client, roots, disabled_before
):
    # Disabled with a user typed in: before, the user silently re-enabled them when they were off,
    # and the alias silently replaced the user when they were on.
    if disabled_before:
        post_section(admin_client, "server", double_bounce="off")
    before = roots.control("doublebounceto").read_text() if roots.control("doublebounceto").exists() else None
    html = post_section(admin_client, "server", double_bounce="off", doublebounceto="admin").content.decode()
    assert "Double bounces are disabled, so nobody receives them" in html
    assert 'value="admin"' in html  # the input is kept
    after = roots.control("doublebounceto").read_text() if roots.control("doublebounceto").exists() else None
    assert after == before
