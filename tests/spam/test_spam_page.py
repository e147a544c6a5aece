"""The Spam Filtering page with the agent's operations in process: what it shows, what it refuses.

Saves that need SpamAssassin's real lint and a running spamd are in test_spam_saving.py.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from mailserver.core.models import Change
from mailserver.core.permissions import VIEWERS
from mailserver.spamassassin import localcf
from mailserver.spamassassin.settings import SpamSettings
from tests.spam.helpers import post_section, section_data

pytestmark = pytest.mark.django_db

HAND_WRITTEN = (
    "# ours\nrequired_score 6.5\nreport_safe 2\ntrusted_networks 10.0.0.0/8 192.168.1.\nscore MY_RULE 2\n"
)


@pytest.fixture
def roots(agent_in_process):
    return agent_in_process


def field_html(html: str, name: str) -> str:
    """The markup of one field of the settings box, from its label to the next field's."""
    start = html.index(f'id="div_id_settings-{name}"')
    end = html.find('id="div_id_settings-', start + 1)
    return html[start : end if end > 0 else len(html)]


def test_the_page_shows_the_settings_in_local_cf_as_spamassassin_reads_them(admin_client, site):
    (site / "local.cf").write_text(HAND_WRITTEN)

    html = admin_client.get("/mailserver/spam/").content.decode()

    assert 'value="6.5"' in field_html(html, "required_score")
    assert re.findall(r'value="([012])"[^>]*checked', field_html(html, "report_safe")) == ["2"]
    assert "10.0.0.0/8\n192.168.1." in field_html(html, "trusted_networks")
    assert "score MY_RULE 2" in field_html(html, "advanced")
    # Not the panel's file: its text is shown and replacing it needs a tick.
    assert 'data-testid="local-cf-text"' in html and "# ours" in html
    assert "Replace the hand-written local.cf" in html


def test_a_threshold_appended_below_the_advanced_preferences_is_the_one_shown(admin_client, site):
    written = localcf.render(SpamSettings(required_score="6")).text
    (site / "local.cf").write_text(written + "required_score 3\n")  # by hand, at the end: SpamAssassin uses 3

    html = admin_client.get("/mailserver/spam/").content.decode()

    assert 'value="3"' in field_html(html, "required_score")
    assert "required_score 3" not in field_html(html, "advanced")
    assert "edited by hand since the panel wrote it" in html


def test_another_cf_file_that_sets_a_field_is_pointed_out_beside_it(admin_client, site):
    (site / "zz_mine.cf").write_text("# late\n\nrequired_score 9\n")
    html = admin_client.get("/mailserver/spam/").content.decode()
    assert "zz_mine.cf line 3 also sets it: required_score 9" in field_html(html, "required_score")


def test_a_file_read_before_local_cf_is_pointed_out_only_while_local_cf_does_not_set_the_field(
    admin_client, site
):
    (site / "10_site.cf").write_text("required_score 9\n")
    also = "10_site.cf line 1 also sets it: required_score 9"
    assert also in field_html(admin_client.get("/mailserver/spam/").content.decode(), "required_score")

    (site / "local.cf").write_text(localcf.render(SpamSettings(required_score="6")).text)  # read later: wins
    assert also not in field_html(admin_client.get("/mailserver/spam/").content.decode(), "required_score")


def test_a_trusted_network_spamassassin_would_skip_is_refused_beside_its_field(admin_client, site):
    response = post_section(admin_client, "settings", trusted_networks="10.0.0.0/8\n300.1.2.3")

    html = response.content.decode()
    beside = field_html(html, "trusted_networks")
    assert "Line 2" in beside and "300.1.2.3" in beside and "invalid-feedback" in beside
    assert "10.0.0.0/8\n300.1.2.3" in beside  # the input is kept
    assert "Not saved: 1 error" in html
    assert not (site / "local.cf").exists()
    assert not Change.objects.exists()


def test_one_save_names_every_bad_line_of_the_lists_beside_their_fields(admin_client, site):
    response = post_section(
        admin_client,
        "settings",
        whitelist="foo bar\nok@example.com\n@@",
        trusted_networks="300.1.2.3\n10/8\n10.0.0.0/8 x",
    )

    html = response.content.decode()
    white, trusted = field_html(html, "whitelist"), field_html(html, "trusted_networks")
    assert "Line 1 (&#x27;foo bar&#x27;)" in white and "Line 3 (&#x27;@@&#x27;)" in white
    assert "Line 1 (&#x27;300.1.2.3&#x27;)" in trusted and "Line 3 (&#x27;10.0.0.0/8 x&#x27;)" in trusted
    assert "Not saved: 4 errors" in html  # one per bad line
    assert not (site / "local.cf").exists()


def test_a_directive_a_field_sets_is_refused_in_advanced_preferences(admin_client, site):
    html = post_section(admin_client, "settings", advanced="required_score 3").content.decode()
    assert "is set by Spam score threshold above" in field_html(html, "advanced")
    assert not (site / "local.cf").exists()


def test_a_viewer_sees_the_page_read_only_and_cannot_save(client: Client, roots, site):
    viewer = User.objects.create_user("viewer", password="pw")
    viewer.groups.add(Group.objects.get(name=VIEWERS))
    client.force_login(viewer)

    html = client.get("/mailserver/spam/").content.decode()
    assert 'data-testid="read-only-settings"' in html and 'data-testid="save-settings"' not in html
    assert 'data-testid="train-now"' not in html

    data = section_data("settings", required_score="8")
    assert client.post("/mailserver/spam/save/settings/", data).status_code == 403
    assert client.post("/mailserver/spam/train-now/").status_code == 403
    assert not (site / "local.cf").exists()
    assert not Change.objects.exists()


def test_without_simscan_the_page_says_smtp_scanning_needs_it_and_what_it_writes(admin_client, roots):
    html = admin_client.get("/mailserver/spam/").content.decode()
    assert "SMTP-level scanning needs simscan, which is not installed" in html
    assert "The panel still writes control/simcontrol" in html
    assert "No mail is scanned for spam during SMTP now." in html


def test_the_smtp_spam_threshold_is_simscans_and_lands_in_simcontrol(admin_client, roots):
    response = post_section(admin_client, "smtp", spam=True, spam_hits="12.5")

    html = response.content.decode()
    assert "Saved: control/simcontrol" in html
    line = roots.control("simcontrol").read_text().splitlines()[0]
    assert "spam=yes" in line and "spam_hits=12.5" in line
    assert 'value="12.5"' in html
    assert 'data-testid="service-spamd"' in html  # the box keeps its service card after a save
    html = admin_client.get("/mailserver/spam/").content.decode()
    assert 'value="12.5"' in html


def test_a_saved_smtp_box_says_once_that_simscan_is_missing(admin_client, roots):
    html = post_section(admin_client, "smtp", spam=True).content.decode()

    notice = re.search(r'data-testid="notice">([^<]*)<', html)
    assert notice is not None and notice[1] == "Saved: control/simcontrol."
    assert html.count("SMTP-level scanning needs simscan, which is not installed") == 1  # the box's own note


def test_what_else_simcontrol_asks_of_simscan_is_shown_as_written(admin_client, roots):
    roots.control("simcontrol").write_text("# by hand\nexample.com:clam=no,spam=no\n:spam=yes,attach=.exe\n")

    active = re.search(
        r'data-testid="smtp-active">(.*?)</p>', admin_client.get("/mailserver/spam/").content.decode(), re.S
    )
    assert active is not None
    assert "simcontrol also asks simscan for: &#x27;# by hand&#x27; (not a KEY:param=value line" in active[1]
    assert "; example.com:clam=no,spam=no; attach=.exe on the default line." in active[1]
    assert "example.com: example.com" not in active[1] and "# by hand: # by hand" not in active[1]


def test_an_smtp_threshold_simscan_would_misread_is_refused(admin_client, roots):
    html = post_section(admin_client, "smtp", spam_hits="12,5").content.decode()
    assert "is not a score from 0.1 to 1000" in html
    assert not roots.control("simcontrol").exists()


def test_bayes_imap_training_and_its_limit_land_in_the_training_settings(admin_client, site):
    html = post_section(admin_client, "training", imap_training=True, learn_limit="20").content.decode()

    assert "Saved: nodeworx-imap-training." in html
    assert (site / "nodeworx-imap-training").read_text().endswith("ENABLED=yes\nLIMIT=20\n")
    page = admin_client.get("/mailserver/spam/").content.decode()
    assert 'value="20"' in page and 'data-testid="train-now"' in page


def test_a_learning_limit_out_of_range_is_refused_beside_it(admin_client, site):
    html = post_section(admin_client, "training", learn_limit="0").content.decode()
    assert "Ensure this value is greater than or equal to 1." in html
    assert not (site / "nodeworx-imap-training").exists()


def test_with_training_off_the_box_says_there_is_no_daily_run(admin_client, site):
    def last_run() -> str:
        html = admin_client.get("/mailserver/spam/").content.decode()
        found = re.search(r'data-testid="training-last-run">(.*?)</p>', html, re.S)
        assert found is not None
        return " ".join(found[1].split())

    assert (
        last_run()
        == "Training is off: there is no daily run, and nothing is learned from the mailboxes' folders."
    )
    post_section(admin_client, "training", imap_training=True)
    assert last_run().startswith("Not run yet: the daily run is at 03:00")


def test_train_now_with_training_off_says_to_turn_it_on(admin_client, site):
    html = admin_client.post("/mailserver/spam/train-now/", HTTP_HX_REQUEST="true").content.decode()
    assert "Not trained: Bayes IMAP training is off: turn it on first." in html
    assert Change.objects.get().result == "refused"


def test_local_cf_changed_while_the_page_was_open_is_not_overwritten(admin_client, site):
    local = site / "local.cf"
    local.write_text(localcf.render(SpamSettings(required_score="6")).text)
    data = section_data("settings", required_score="8")
    local.write_text(local.read_text().replace("required_score 6\n", "required_score 6.5\n"))  # meanwhile

    html = admin_client.post("/mailserver/spam/save/settings/", data, HTTP_HX_REQUEST="true").content.decode()

    beside = field_html(html, "required_score")
    assert "Changed on the server while you edited; it now holds: 6.5." in beside
    assert 'value="8"' in beside  # the admin's value is kept, to save again
    assert "required_score 6.5\n" in local.read_text()
    assert Change.objects.get().result == "conflict"


def test_after_a_conflict_a_field_the_admin_did_not_touch_shows_the_servers_value_and_is_kept(
    admin_client, roots
):
    simcontrol = roots.control("simcontrol")
    simcontrol.write_text(":clam=no,spam=no,spam_hits=8\n")
    data = section_data("smtp", spam=True)  # the admin turns scanning on, leaves the threshold at 8
    simcontrol.write_text(":clam=no,spam=no,spam_hits=11\n")  # meanwhile, on the server

    html = admin_client.post("/mailserver/spam/save/smtp/", data, HTTP_HX_REQUEST="true").content.decode()

    # Not "it now holds: 11. Save again to replace it with your value" beside the 8 the page had
    # read: a second save would write that 8 back over the server's 11.
    assert (
        'name="smtp-spam_hits" value="11"' in html and "Save again to replace it with your value" not in html
    )
    assert "it now holds: 11. The field shows it now: saving again keeps it." in html
    assert re.search(r'name="smtp-spam"[^>]*checked', html)  # the admin's own change is kept
    seen = re.search(r'name="smtp-seen" value="([^"]*)"', html)
    assert seen is not None
    again = {**data, "smtp-seen": seen[1].replace("&quot;", '"'), "smtp-spam_hits": "11"}
    admin_client.post("/mailserver/spam/save/smtp/", again, HTTP_HX_REQUEST="true")
    assert simcontrol.read_text() == ":clam=no,spam=yes,spam_hits=11\n"


def test_the_gtube_button_says_so_when_spamd_does_not_answer(admin_client, roots):
    html = admin_client.post("/mailserver/spam/gtube/", HTTP_HX_REQUEST="true").content.decode()
    assert "Not scored: spamd does not answer on 127.0.0.1:783" in html


def test_an_smtp_threshold_not_above_spamassassins_own_is_pointed_out(admin_client, roots):
    assert 'data-testid="smtp-threshold-low"' not in admin_client.get("/mailserver/spam/").content.decode()
    html = post_section(admin_client, "smtp", spam_hits="5").content.decode()
    assert "simscan's threshold (5) is not above SpamAssassin's Spam Score Threshold (5.0)" in html
    # SMTP-Level Scanning is off: nothing is refused yet, and the warning does not say it is
    assert "once SMTP-Level Scanning is on, every message SpamAssassin would only mark as spam will" in html
    assert "is refused during SMTP" not in html
    html = post_section(admin_client, "smtp", spam=True).content.decode()
    assert "every message SpamAssassin would only mark as spam is refused during SMTP" in html


def test_a_value_spamassassin_ignores_in_local_cf_is_pointed_out(admin_client, site):
    (site / "local.cf").write_text("required_score lots\nreport_safe 3\n")
    html = " ".join(admin_client.get("/mailserver/spam/").content.decode().split())
    assert "SpamAssassin ignores these lines of local.cf:" in html
    assert "line 1: &#x27;required_score lots&#x27; is ignored by SpamAssassin (not a number)." in html
    assert "line 2: &#x27;report_safe 3&#x27; is ignored by SpamAssassin (report_safe is 0, 1 or 2)." in html
    assert 'value="5.0"' in field_html(html, "required_score")  # what SpamAssassin uses instead


def test_saving_the_options_unchanged_without_local_cf_writes_nothing_and_says_so(admin_client, site):
    html = post_section(admin_client, "settings").content.decode()

    assert "Nothing changed: the server already holds these values." in html
    assert not (site / "local.cf").exists()  # SpamAssassin's defaults stay its own, unwritten
    assert not Change.objects.exists()


def test_without_spamassassins_site_directory_an_unchanged_save_is_no_refusal_and_a_change_is(
    admin_client, roots
):
    site_dir = roots.system / "etc/spamassassin"
    assert not site_dir.exists()

    html = post_section(admin_client, "settings").content.decode()
    assert "Nothing changed: the server already holds these values." in html
    assert not Change.objects.exists()

    html = post_section(admin_client, "settings", required_score="6").content.decode()
    assert "is missing: is SpamAssassin installed?" in html
    assert not site_dir.exists()
    assert Change.objects.get().result == "refused"


def test_an_unchanged_save_after_local_cf_appeared_meanwhile_says_so_and_writes_nothing(admin_client, site):
    data = section_data("settings")  # the page showed SpamAssassin's defaults: no local.cf
    written = localcf.render(SpamSettings(required_score="6")).text
    (site / "local.cf").write_text(written)  # meanwhile

    html = admin_client.post("/mailserver/spam/save/settings/", data, HTTP_HX_REQUEST="true").content.decode()

    assert "Nothing changed" not in html
    assert "Not saved: the server no longer holds what this page showed" in html
    assert "said beside each field that changed; save again to write what the box shows." in html
    assert "Changed on the server while you edited; it now holds: 6." in field_html(html, "required_score")
    assert (site / "local.cf").read_text() == written
    assert not Change.objects.exists()


# The page's two other boxes keep the rule too: without their file the server holds the defaults the
# page shows (simscan scans nothing; training is off), and saving those writes nothing.
def test_saving_smtp_scanning_unchanged_without_simcontrol_writes_nothing(admin_client, roots):
    html = post_section(admin_client, "smtp").content.decode()
    assert "Nothing changed: the server already holds these values." in html
    assert not roots.control("simcontrol").exists()
    assert not Change.objects.exists()


def test_saving_training_unchanged_without_its_settings_writes_nothing(admin_client, site):
    html = post_section(admin_client, "training").content.decode()
    assert "Nothing changed: the server already holds these values." in html
    assert not (site / "nodeworx-imap-training").exists()
    assert not Change.objects.exists()


def test_without_spamassassins_site_directory_unchanged_training_is_no_refusal_and_a_change_is(
    admin_client, roots
):
    site_dir = roots.system / "etc/spamassassin"
    assert not site_dir.exists()

    html = post_section(admin_client, "training").content.decode()
    assert "Nothing changed: the server already holds these values." in html
    assert not Change.objects.exists()

    html = post_section(admin_client, "training", imap_training=True).content.decode()
    assert "is missing: is SpamAssassin installed?" in html
    assert not site_dir.exists()
    assert Change.objects.get().result == "refused"


def test_the_smtp_threshold_typed_as_simscan_already_reads_it_writes_nothing(admin_client, roots):
    control = roots.control("simcontrol")
    control.write_text(":clam=yes,spam=yes,spam_hits=10\n")

    html = post_section(admin_client, "smtp", spam_hits="10.0").content.decode()  # simscan reads 10 alike

    assert "Nothing changed: the server already holds these values." in html
    assert control.read_text() == ":clam=yes,spam=yes,spam_hits=10\n"
    assert not Change.objects.exists()


def test_an_smtp_threshold_simscan_cannot_read_is_replaced_by_a_save_left_as_shown(admin_client, roots):
    control = roots.control("simcontrol")
    control.write_text(":spam=yes,spam_hits=12x\n")  # simscan's atof reads 12; the page shows 10.0

    post_section(admin_client, "smtp")

    assert control.read_text() == ":clam=no,spam=yes,spam_hits=10.0\n"
    assert Change.objects.get().result == "applied"


def test_after_an_unchanged_save_a_real_change_still_writes_each_box(admin_client, roots, site):
    post_section(admin_client, "smtp")
    post_section(admin_client, "training")
    assert not Change.objects.exists()

    html = post_section(admin_client, "smtp", spam=True).content.decode()
    assert "Saved: control/simcontrol." in html
    assert roots.control("simcontrol").read_text() == ":clam=no,spam=yes,spam_hits=10.0\n"
    html = post_section(admin_client, "training", learn_limit="7").content.decode()
    assert "Saved: nodeworx-imap-training." in html
    assert (site / "nodeworx-imap-training").read_text().endswith("ENABLED=no\nLIMIT=7\n")
    assert [(c.target, c.result) for c in Change.objects.order_by("pk")] == [
        ("control/simcontrol", "applied"),
        ("spamassassin nodeworx-imap-training", "applied"),
    ]


def test_a_learning_limit_the_daily_job_cannot_read_shows_the_one_it_uses(admin_client, site):
    (site / "nodeworx-imap-training").write_text("ENABLED=yes\nLIMIT=²\n")  # str.isdigit() says yes

    html = admin_client.get("/mailserver/spam/").content.decode()

    assert 'name="training-learn_limit" value="50"' in html
