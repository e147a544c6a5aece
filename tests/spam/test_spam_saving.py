"""Saving the SpamAssassin Options against Debian's real SpamAssassin: lint, local.cf, a running spamd.

The page goes through the signed agent worker, which lints with ``spamassassin --lint`` and
restarts the spamd that tests/filters' ``spamd_running`` runs under the session's svscan.
"""

from __future__ import annotations

import pytest

from mailserver.core.models import Change
from mailserver.qmail import atomic, services
from tests.spam.helpers import post_section
from tests.spam.test_spam_page import field_html
from tests.support.mailboxes import deliver, make_maildir, remove_mailboxes

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_a_save_is_linted_written_to_local_cf_and_read_back_by_the_page(admin_client, fresh_site):
    pid = services.read_status(fresh_site.roots, "spamd").pid

    response = post_section(admin_client, "settings", required_score="7.5", rewrite_subject="[SPAM]")

    html = response.content.decode()
    assert "spamassassin --lint passed" in html
    assert "spamd was restarted to take the change. It answers again within a few seconds." in html
    text = (fresh_site.site / "local.cf").read_text()
    assert "required_score 7.5\n" in text and "rewrite_header Subject [SPAM]\n" in text
    assert services.read_status(fresh_site.roots, "spamd").pid != pid
    assert Change.objects.get().result == "applied"
    page = admin_client.get("/mailserver/spam/").content.decode()
    assert 'value="7.5"' in field_html(page, "required_score")
    assert 'value="[SPAM]"' in field_html(page, "rewrite_subject")


def test_saving_the_options_unchanged_on_a_server_without_local_cf_writes_and_restarts_nothing(
    admin_client, fresh_site
):
    pid = services.read_status(fresh_site.roots, "spamd").pid

    html = post_section(admin_client, "settings").content.decode()

    assert "Nothing changed: the server already holds these values." in html
    assert "--lint passed" not in html and "spamd was restarted" not in html
    assert not (fresh_site.site / "local.cf").exists()
    assert services.read_status(fresh_site.roots, "spamd").pid == pid
    assert not Change.objects.exists()

    # A real change still creates local.cf: the panel's whole file, the untouched fields with the
    # values the page showed (SpamAssassin's own), so the page reads it back as its own.
    post_section(admin_client, "settings", required_score="6")
    text = (fresh_site.site / "local.cf").read_text()
    assert text.startswith("# nodeworx-managed: local.cf v1\n")
    assert "required_score 6\n" in text and "report_safe 1\n" in text and "bayes_auto_learn 1\n" in text
    assert services.read_status(fresh_site.roots, "spamd").pid != pid
    assert [(c.target, c.result) for c in Change.objects.all()] == [("spamassassin local.cf", "applied")]
    page = admin_client.get("/mailserver/spam/").content.decode()
    assert "Replace the hand-written local.cf" not in page


def test_an_unchanged_save_leaves_a_hand_written_local_cf_alone_unless_the_admin_ticks_replace(
    admin_client, fresh_site
):
    local = fresh_site.site / "local.cf"
    local.write_text("# mine\nrequired_score 6.5\nscore MY_RULE 2\n")

    html = post_section(admin_client, "settings").content.decode()
    assert "Nothing changed: the server already holds these values." in html
    assert local.read_text() == "# mine\nrequired_score 6.5\nscore MY_RULE 2\n"
    assert not Change.objects.exists()

    post_section(admin_client, "settings", replace_hand_edits=True)  # asked for: the panel's own file
    text = local.read_text()
    assert text.startswith("# nodeworx-managed: local.cf v1\n") and "required_score 6.5\n" in text
    assert Change.objects.get().result == "applied"


def test_a_directive_that_fails_lint_is_refused_beside_its_field_in_spamassassins_words(
    admin_client, fresh_site
):
    post_section(admin_client, "settings", required_score="6")
    before = atomic.read_state(fresh_site.site / "local.cf")
    pid = services.read_status(fresh_site.roots, "spamd").pid

    advanced = "score NWX_OK 1\nthis_is_no_directive 1"
    html = post_section(admin_client, "settings", required_score="7", advanced=advanced).content.decode()

    beside = field_html(html, "advanced")
    assert "Advanced preferences, line 2: failed to parse line" in beside
    assert "this_is_no_directive 1" in beside
    assert "line 1:" not in beside  # the good line is not blamed
    assert "SpamAssassin&#x27;s lint refused the new settings; nothing was changed." in html
    assert 'value="7"' in field_html(html, "required_score")  # the input is kept
    assert atomic.read_state(fresh_site.site / "local.cf") == before
    assert services.read_status(fresh_site.roots, "spamd").pid == pid  # not restarted
    assert Change.objects.order_by("-id").first().result == "refused"


def test_a_hand_written_local_cf_is_replaced_only_once_the_admin_ticks_the_box(admin_client, fresh_site):
    local = fresh_site.site / "local.cf"
    local.write_text("# mine\nrequired_score 6.5\nscore MY_RULE 2\n")

    html = post_section(admin_client, "settings", report_safe="0").content.decode()
    assert "was not written by this panel" in field_html(html, "replace_hand_edits")
    assert local.read_text() == "# mine\nrequired_score 6.5\nscore MY_RULE 2\n"

    post_section(admin_client, "settings", report_safe="0", replace_hand_edits=True)
    text = local.read_text()
    assert "report_safe 0\n" in text and "required_score 6.5\n" in text
    assert text.endswith("score MY_RULE 2\n")


def test_the_gtube_button_shows_the_running_spamds_verdict(admin_client, fresh_site):
    html = admin_client.post("/mailserver/spam/gtube/", HTTP_HX_REQUEST="true").content.decode()
    assert "spamd scored GTUBE <strong>10" in html  # 1000 and a bit
    assert "against its threshold 5: <strong>spam</strong>" in html


@pytest.fixture
def mailbox(spamd_running):
    """alice's vpopmail Maildir in the test tree, as in tests/filters/test_bayes_training.py."""
    yield make_maildir(spamd_running.roots.system)
    remove_mailboxes(spamd_running.roots.system)
    (spamd_running.site / "nodeworx-imap-training").unlink(missing_ok=True)


def test_training_turned_on_makes_the_folders_and_train_now_learns_what_users_put_there(
    admin_client, mailbox
):
    html = post_section(admin_client, "training", imap_training=True, learn_limit="2").content.decode()
    assert "2 training folders were created in the mailboxes." in html
    deliver(mailbox / ".Learn Spam/new", 3, "spam")
    deliver(mailbox / ".Learn Ham/cur", 1, "ham")

    html = admin_client.post("/mailserver/spam/train-now/", HTTP_HX_REQUEST="true").content.decode()

    assert "Learned 2 spam and 1 ham from 1 mailbox." in html
    assert not any((mailbox / ".Learn Spam/new").iterdir())  # emptied, the third message too
    page = " ".join(admin_client.get("/mailserver/spam/").content.decode().split())
    assert "1 mailbox, learned 2 spam and 1 ham, 1 over the limit discarded" in page
    assert Change.objects.filter(target="spamassassin Bayes IMAP training run", result="applied").exists()


def test_a_lint_problem_in_another_file_of_the_site_is_shown_above_the_form(admin_client, fresh_site):
    other = fresh_site.site / "zz_site.cf"
    other.write_text("# another administrator's\nnot_a_directive_either 1\n")
    try:
        html = post_section(admin_client, "settings", required_score="6").content.decode()
    finally:
        other.unlink()

    errors_above = html[: html.index('id="div_id_settings-required_score"')]
    assert "zz_site.cf, line 2: failed to parse line: not_a_directive_either 1" in errors_above
    assert not (fresh_site.site / "local.cf").exists()
