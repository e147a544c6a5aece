"""The Spam Filtering operations against Debian's real SpamAssassin: lint, local.cf, a running spamd.

spamd runs under the session's svscan with the panel's run script; every call goes through
the signed agent worker. GTUBE is scored by that spamd before and after a threshold change.
"""

from __future__ import annotations

import subprocess

import pytest

from mailserver.core import agent
from mailserver.protocol import Op
from mailserver.qmail import atomic, services
from mailserver.spamassassin import spamd
from tests.support import daemons

pytestmark = pytest.mark.integration

# A message no rule but ours scores: its subject carries a word the test's own rule adds 6 for.
PROBE = b"From: someone@example.org\r\nTo: user@example.test\r\nSubject: threshold-probe\r\n\r\nHello.\r\n"


def write(settings: dict, *, expect: str | object | None = "seen", **extra) -> dict:
    if expect == "seen":
        expect = agent.call(Op.SPAM_READ_STATE)["local_cf"]["sha256"]
    payload = {"settings": settings, "expect": expect, **extra}
    return agent.call(Op.SPAM_WRITE, payload, timeout=60)


def verdict(port: int, message: bytes = spamd.GTUBE) -> spamd.Verdict:
    return daemons.wait_for(lambda: _try_check(port, message), 60, "spamd's verdict")


def _try_check(port: int, message: bytes) -> spamd.Verdict | None:
    try:
        return spamd.check("127.0.0.1", port, message)
    except spamd.SpamdUnreachable:
        return None  # restarting: it answers again within a few seconds


def test_state_reads_the_site_as_spamassassin_does(fresh_site):
    state = agent.call(Op.SPAM_READ_STATE)
    assert state["version"].startswith("4.")
    assert state["local_cf"]["exists"] is False
    assert state["settings"]["required_score"] == "5.0"
    assert state["settings"]["report_safe"] == 1
    assert state["services"]["spamd"]["state"] == "up"
    assert state["spamd"] == {**state["spamd"], "port": fresh_site.port, "answering": True}
    assert state["spamd"]["script"]["managed"] is True


def test_gtube_is_scored_against_the_new_threshold_after_a_save(fresh_site):
    before = verdict(fresh_site.port)
    assert (before.spam, before.threshold) == (True, 5.0)
    assert before.score >= 1000.0  # GTUBE's own 1000, plus what the bare test message earns
    old_pid = services.read_status(fresh_site.roots, "spamd").pid

    answer = write({"required_score": "8"})

    assert answer["lint"]["ok"] is True
    assert answer["spamd"]["restarted"] is True
    assert services.read_status(fresh_site.roots, "spamd").pid != old_pid
    assert "required_score 8\n" in (fresh_site.site / "local.cf").read_text()
    after = verdict(fresh_site.port)
    assert (after.spam, after.threshold) == (True, 8.0)
    # spamc, as simscan would run it, agrees: "score/threshold" and exit status 1 for spam.
    done = subprocess.run(
        ["/usr/bin/spamc", "-d", "127.0.0.1", "-p", str(fresh_site.port), "-c"],
        input=spamd.GTUBE, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    score, threshold = done.stdout.decode().strip().split("/")
    assert (float(score) >= 1000.0, threshold, done.returncode) == (True, "8.0", 1)


def test_a_message_between_two_thresholds_turns_from_spam_to_ham(fresh_site):
    rule = "header NWX_PROBE Subject =~ /threshold-probe/\nscore NWX_PROBE 6.0\ndescribe NWX_PROBE test"
    write({"required_score": "5", "advanced": rule})
    spam = verdict(fresh_site.port, PROBE)
    assert (spam.spam, spam.threshold) == (True, 5.0)
    assert spam.score >= 6.0  # our rule's 6 points, plus whatever the bare message earns
    above = int(spam.score) + 2

    write({"required_score": str(above)})

    ham = verdict(fresh_site.port, PROBE)
    assert (ham.spam, ham.threshold, ham.score) == (False, float(above), spam.score)


def test_a_lint_failure_comes_back_line_by_line_beside_its_field_and_nothing_changes(fresh_site):
    write({"required_score": "6"})
    before = atomic.read_state(fresh_site.site / "local.cf")
    pid = services.read_status(fresh_site.roots, "spamd").pid
    advanced = "score NWX_OK 1\nthis_is_no_directive 1\nheader NWX_BAD Subject =~ /(/\nreport_safe_xyz"

    with pytest.raises(agent.AgentError) as refused:
        write({"required_score": "7", "advanced": advanced})

    assert refused.value.field == "advanced"
    lines = refused.value.message.split("\n")
    assert lines[0] == "SpamAssassin's lint refused the new settings; nothing was changed."
    assert any(line.startswith("Advanced preferences, line 2: failed to parse line") for line in lines), lines
    assert any(line.startswith("Advanced preferences, line 4:") for line in lines), lines
    assert atomic.read_state(fresh_site.site / "local.cf") == before
    assert services.read_status(fresh_site.roots, "spamd").pid == pid  # not restarted

    # The same payload, only checked: every problem with its field and the line in the text box.
    check = agent.call(Op.SPAM_CHECK, {"settings": {"advanced": advanced}}, timeout=60)
    assert check["ok"] is False
    found = {(p["field"], p["field_line"]) for p in check["problems"]}
    assert ("advanced", 2) in found and ("advanced", 4) in found
    assert ("advanced", 1) not in found
    assert all(p["field"] == "advanced" for p in check["problems"])


def test_a_value_spamassassin_would_skip_is_refused_before_lint(fresh_site):
    # lint itself passes "trusted_networks 300.1.2.3" (NetSet only warns): the panel does not.
    with pytest.raises(agent.AgentError) as refused:
        write({"trusted_networks": "10.0.0.0/8\n300.1.2.3"})
    assert refused.value.field == "trusted_networks"
    assert "Line 2" in refused.value.message
    assert not (fresh_site.site / "local.cf").exists()


def test_a_hand_written_local_cf_is_replaced_only_after_confirmation(fresh_site):
    local = fresh_site.site / "local.cf"
    local.write_text("# mine\nrequired_score 6.5\nscore MY_RULE 2 # keep\nrewrite_header Subject [SPAM]\n")
    state = agent.call(Op.SPAM_READ_STATE)
    assert state["local_cf"]["managed"] is False
    assert state["settings"]["required_score"] == "6.5"
    assert state["settings"]["advanced"] == "score MY_RULE 2 # keep"

    with pytest.raises(agent.AgentError) as refused:
        write({"report_safe": 0})
    assert refused.value.kind == "hand_edit"
    assert "required_score 6.5" in local.read_text()

    write({"report_safe": 0}, replace_hand_edit=True)
    text = local.read_text()
    assert text.startswith("# nodeworx-managed: local.cf v1\n")
    assert "required_score 6.5\n" in text and "report_safe 0\n" in text
    assert "rewrite_header Subject [SPAM]\n" in text and text.endswith("score MY_RULE 2 # keep\n")
    assert agent.call(Op.SPAM_READ_STATE)["local_cf"]["hand_edited"] is False


def test_a_file_changed_since_the_page_was_read_is_not_overwritten(fresh_site):
    write({"required_score": "6"})
    seen = agent.call(Op.SPAM_READ_STATE)["local_cf"]["sha256"]
    local = fresh_site.site / "local.cf"
    local.write_text(local.read_text().replace("required_score 6", "required_score 6.5"))
    with pytest.raises(agent.AgentError) as refused:
        write({"required_score": "7"}, expect=seen)
    assert refused.value.kind == "conflict"
    assert "required_score 6.5" in local.read_text()


def test_gtube_button_answers_with_the_running_spamds_verdict(fresh_site):
    answer = agent.call(Op.SPAM_SCAN_GTUBE)
    assert (answer["spam"], answer["threshold"]) == (True, 5.0)
    assert answer["score"] >= 1000.0


def test_auto_whitelist_loads_its_plugin_and_passes_lint(fresh_site):
    answer = write(
        {"auto_whitelist": True, "whitelist": "Boss@Example.com\nexample.org", "bayes_global": True}
    )
    text = (fresh_site.site / "local.cf").read_text()
    assert "loadplugin Mail::SpamAssassin::Plugin::AWL\nuse_auto_welcomelist 1\n" in text
    assert "welcomelist_from boss@example.com\nwelcomelist_from *@example.org\n" in text
    bayes = fresh_site.roots.system / "var/lib/spamassassin/bayes"
    assert f"bayes_path {bayes}/bayes\n" in text
    assert bayes.is_dir() and bayes.stat().st_uid == __import__("pwd").getpwnam("debian-spamd").pw_uid
    state = answer["state"]
    assert state["settings"]["auto_whitelist"] is True
    assert state["settings"]["whitelist"] == "boss@example.com\n*@example.org"
