"""Each spam setting is checked as SpamAssassin 4.0's parser reads it (Conf.pm, Conf/Parser.pm, NetSet.pm)."""

from __future__ import annotations

import pytest

from mailserver.qmail.errors import FieldError
from mailserver.spamassassin import changes
from mailserver.spamassassin import settings as s


@pytest.mark.parametrize("raw", ["5", "5.0", "6.5", "+3", "1000", "0.1", 7])
def test_scores_in_spamassassins_own_syntax_are_taken(raw):
    assert s.check_score("required_score", raw) == str(raw).strip()


@pytest.mark.parametrize("raw", ["", "five", "5,5", "1e3", ".5", "0", "-2", "1001", True])
def test_other_scores_are_refused_beside_the_field(raw):
    with pytest.raises(FieldError) as refused:
        s.check_score("required_score", raw)
    assert refused.value.field == "required_score"


def test_a_threshold_no_message_can_reach_is_explained():
    with pytest.raises(FieldError, match="GTUBE"):
        s.check_score("required_score", "5000")


def test_subject_tag_is_one_printable_line():
    assert s.check_subject("  *****SPAM***** ") == "*****SPAM*****"
    assert s.check_subject("") == ""
    for bad in ("[SPAM]\nBcc: x", "a\x00b", "x" * 201):
        with pytest.raises(FieldError):
            s.check_subject(bad)


@pytest.mark.parametrize("raw, method", [("0", 0), ("1", 1), (2, 2)])
def test_the_three_reporting_methods(raw, method):
    assert s.check_report_safe(raw) == method
    assert method in s.REPORT_METHODS


@pytest.mark.parametrize("raw", ["3", "-1", "", "yes", True])
def test_report_safe_takes_only_0_1_2(raw):
    # lint: "invalid 'report_safe' value in …/local.cf (line 2): report_safe 7"
    with pytest.raises(FieldError):
        s.check_report_safe(raw)


def test_addresses_one_per_line_lowercased_and_a_bare_domain_made_a_pattern():
    text = "Boss@Example.COM\n\n  *@friends.example  \nexample.org\nboss@example.com\n"
    assert s.check_addresses("whitelist", text) == ("boss@example.com", "*@friends.example", "*@example.org")


@pytest.mark.parametrize(
    "entry, why",
    [
        ("a b@example.com", "without spaces"),
        ("joe#1@example.com", "comment"),
        ("joe\\@example.com", "comment"),
        ("@example.com", "user@example.com"),
        ("joe@", "user@example.com"),
        ("not a domain", "without spaces"),
        ("localhost", "neither an address"),
    ],
)
def test_address_entries_spamassassin_would_misread(entry, why):
    with pytest.raises(FieldError, match=why) as refused:
        s.check_addresses("blacklist", f"ok@example.com\n{entry}")
    assert refused.value.field == "blacklist"
    assert "Line 2" in str(refused.value)


@pytest.mark.parametrize(
    "entry, kept",
    [
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("192.168.", "192.168."),
        ("10/8", "10/8"),
        ("10.1.2", "10.1.2"),
        ("127.0.0.1", "127.0.0.1"),
        ("!10.0.1.5", "!10.0.1.5"),
        ("! 10.0.1.5", "!10.0.1.5"),  # "! 10.0.1.5" on one line of local.cf would be two entries
        ("2001:db8::/32", "2001:db8::/32"),
        ("[2001:db8::1]", "[2001:db8::1]"),
    ],
)
def test_trusted_networks_in_netsets_forms(entry, kept):
    assert s.check_networks(entry) == (kept,)


@pytest.mark.parametrize(
    "entry, why",
    [
        ("300.1.2.3", "0 to 255"),  # lint itself lets this pass: NetSet only warns
        ("1.2.3.4.", "not an IPv4"),
        ("10.0.0.0/255.0.0.0", "a length"),
        ("10.0.0.1-10.0.0.9", "CIDR"),
        ("0.0.0.0/0", "every relay"),
        ("::/0", "every relay"),
        ("example.com", "not an IP"),
        ("10.0.0.0 /8", "without spaces"),
    ],
)
def test_trusted_networks_netset_would_skip_or_that_trust_everything(entry, why):
    with pytest.raises(FieldError, match=why) as refused:
        s.check_networks(entry)
    assert refused.value.field == "trusted_networks"


def test_advanced_preferences_keep_rules_and_refuse_what_a_field_sets():
    text = "score NWX 2 # mine\nheader NWX Subject =~ /x/\nrewrite_header From [spam]\n"
    assert s.check_advanced(text) == text.rstrip("\n")
    with pytest.raises(FieldError, match="Line 2: required_score is set by Spam score threshold"):
        s.check_advanced("score NWX 2\nrequired_score 3")
    with pytest.raises(FieldError, match="Rewrite header subject"):
        s.check_advanced("rewrite_header Subject [SPAM]")
    with pytest.raises(FieldError, match="White list"):
        s.check_advanced("whitelist_from a@b.c")  # the old name as well as welcomelist_from


@pytest.mark.parametrize(
    "line",
    [
        "loadplugin Evil /tmp/evil.pm",  # Perl code, run by lint and spamd
        "include /etc/shadow",  # lint quotes lines it cannot parse
        "auto_welcomelist_path /tmp/awl",
        "pyzor_options --homedir /tmp",
        "razor_config /tmp/razor.conf",
        "user_scores_dsn DBI:mysql:x",
        "bayes_store_module Some::Module",
        "lang de loadplugin Evil /tmp/evil.pm",
    ],
)
def test_advanced_preferences_refuse_what_loads_code_or_names_files(line):
    with pytest.raises(FieldError, match="loads code or names a file"):
        s.check_advanced(line)


def test_every_bad_line_of_a_list_is_named_at_once():
    with pytest.raises(FieldError) as refused:
        s.check_addresses("whitelist", "foo bar\nok@example.com\nlocalhost\njoe@")
    assert [line.split(" ", 2)[1] for line in str(refused.value).split("\n")] == ["1", "3", "4"]
    with pytest.raises(FieldError) as refused:
        s.check_networks("999.1.1.1/33\n10/8\n10.0.0.0/8 extra\n0.0.0.0/0")
    assert [line.split(" ", 2)[1] for line in str(refused.value).split("\n")] == ["1", "3", "4"]
    assert refused.value.field == "trusted_networks"


def test_every_bad_line_of_advanced_preferences_is_named_at_once():
    with pytest.raises(FieldError) as refused:
        s.check_advanced("loadplugin Evil /tmp/evil.pm\nscore NWX 2\nrequired_score 3")
    problems = str(refused.value).split("\n")
    assert problems[0].startswith("Line 1: loadplugin loads code")
    assert problems[1].startswith("Line 3: required_score is set by Spam score threshold")


def test_a_list_with_very_many_bad_lines_names_the_first_twenty_and_counts_the_rest():
    with pytest.raises(FieldError) as refused:
        s.check_addresses("blacklist", "\n".join(f"bad {n}" for n in range(25)))
    problems = str(refused.value).split("\n")
    assert len(problems) == 21 and problems[-1] == "… and 5 more lines like these."


def test_advanced_directive_names_are_read_as_spamassassin_does():
    assert s.directive_of("  Required-Score 5 # x") == "required_score"
    assert s.directive_of("# only a comment") is None
    assert s.directive_of("this_is_no_directive 1") == "this_is_no_directive"
    assert s.check_advanced("this_is_no_directive 1") == "this_is_no_directive 1"  # lint's to judge


def test_a_change_names_the_field_and_keeps_what_was_not_sent():
    current = s.SpamSettings(required_score="6", whitelist=("a@b.c",))
    new = changes.apply_changes(current, {"report_safe": "0"}, global_bayes_path="/var/lib/sa/bayes/bayes")
    assert (new.required_score, new.report_safe, new.whitelist) == ("6", 0, ("a@b.c",))
    assert (
        changes.apply_changes(current, {"bayes_global": True}, global_bayes_path="/x/bayes").bayes_path
        == "/x/bayes"
    )
    with pytest.raises(FieldError) as refused:
        changes.apply_changes(current, {"blacklist": "A@b.c"}, global_bayes_path="/x")
    assert refused.value.field == "blacklist" and "both the white list and the black list" in str(
        refused.value
    )
    with pytest.raises(FieldError) as refused:
        changes.settings_request({"settings": {"colour": "red"}}, current, global_bayes_path="/x")
    assert refused.value.field == "colour"


def test_dialect_follows_the_version():
    assert s.Dialect.for_version("4.0.1").whitelist == "welcomelist_from"
    assert s.Dialect.for_version("3.4.6") == s.Dialect(
        "whitelist_from", "blacklist_from", "use_auto_whitelist"
    )
    assert s.Dialect.for_version(None) == s.Dialect()


def test_the_daily_learning_limit():
    from mailserver.spamassassin import training

    assert training.check_limit("50") == 50 and training.check_limit(1) == 1
    for raw in ("0", "²", "10001", "5x", True, ""):
        with pytest.raises(FieldError) as refused:
            training.check_limit(raw)
        assert refused.value.field == "learn_limit"
    assert training.parse_settings("ENABLED=yes\nLIMIT=20\n") == training.TrainingSettings(True, 20)
    assert training.parse_settings("LIMIT=junk\n") == training.TrainingSettings(False, training.DEFAULT_LIMIT)
