"""local.cf as the panel writes it and as SpamAssassin reads it, Debian's stock file included."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mailserver.spamassassin import localcf
from mailserver.spamassassin.settings import Dialect, SpamSettings

DEBIAN = (Path(__file__).parent / "data" / "debian-local.cf").read_text()  # spamassassin 4.0.1-1~deb12u1

EVERYTHING = SpamSettings(
    required_score="6.5",
    rewrite_subject="[SPAM _SCORE_ #]",
    report_safe=2,
    auto_whitelist=True,
    whitelist=("boss@example.com", "*@partner.example"),
    blacklist=("*@spam.example",),
    trusted_networks=("10.0.0.0/8", "!10.0.1.5"),
    bayes_auto_learn=False,
    bayes_path="/var/lib/spamassassin/bayes/bayes",
    advanced="score NWX 2\n\nheader NWX Subject =~ /x/",
)


def test_everything_the_page_sets_reads_back_unchanged_and_untouched():
    rendered = localcf.render(EVERYTHING)
    parsed = localcf.parse(rendered.text)
    assert parsed == localcf.Parsed(EVERYTHING, managed=True, hand_edited=False)


def test_each_line_names_the_field_that_wrote_it():
    rendered = localcf.render(EVERYTHING)
    lines = rendered.text.split("\n")
    assert lines[0] == localcf.MARKER
    by_field = {}
    for number, line in enumerate(lines[:-1], start=1):
        by_field.setdefault(rendered.field_of(number), []).append(line)
    assert by_field["rewrite_subject"] == [
        "rewrite_header Subject [SPAM _SCORE_ \\#]"
    ]  # "#" would start a comment
    assert by_field["auto_whitelist"] == [
        "loadplugin Mail::SpamAssassin::Plugin::AWL",
        "use_auto_welcomelist 1",
    ]
    assert by_field["trusted_networks"] == ["trusted_networks 10.0.0.0/8", "trusted_networks !10.0.1.5"]
    assert by_field["advanced"] == ["score NWX 2", "", "header NWX Subject =~ /x/"]
    assert rendered.field_of(rendered.advanced_first_line) == "advanced"
    assert lines[rendered.advanced_first_line - 2] == localcf.ADVANCED_DIVIDER


def test_auto_whitelist_off_is_said_even_if_a_pre_file_loads_the_plugin():
    text = localcf.render(SpamSettings()).text
    assert "ifplugin Mail::SpamAssassin::Plugin::AWL\nuse_auto_welcomelist 0\nendif\n" in text


def test_spamassassin_3_gets_the_names_it_knows():
    text = localcf.render(replace(EVERYTHING, blacklist=()), Dialect.for_version("3.4.6")).text
    assert "whitelist_from boss@example.com\n" in text and "use_auto_whitelist 1\n" in text
    assert "welcomelist" not in text


def test_debians_stock_file_reads_as_spamassassins_defaults():
    parsed = localcf.parse(DEBIAN)
    assert parsed.managed is False and parsed.hand_edited is False
    assert parsed.settings == SpamSettings()  # its Shortcircuit block holds only comments: nothing to keep


def test_a_hand_written_file_is_read_as_spamassassin_reads_it():
    text = (
        "required_hits 4\n"
        "required_score 6   # the last one wins\n"
        "report_safe 7\n"  # SpamAssassin skips it with a warning: the default stays
        "rewrite_header subject [SPAM \\#1]\n"
        "whitelist_from A@B.c c@d.e\n"
        "trusted_networks 10.\nclear_trusted_networks\ntrusted_networks 192.168.\n"
        "ifplugin Mail::SpamAssassin::Plugin::AWL\nuse_auto_whitelist 1\nendif\n"
        "ifplugin Mail::SpamAssassin::Plugin::Shortcircuit\nshortcircuit BAYES_99 spam\nendif\n"
        "score MY_RULE 3\n"
    )
    parsed = localcf.parse(text)
    settings = parsed.settings
    assert (settings.required_score, settings.report_safe) == ("6", 1)
    assert settings.rewrite_subject == "[SPAM #1]"
    assert settings.whitelist == ("a@b.c", "c@d.e")
    assert settings.trusted_networks == ("192.168.",)
    assert settings.auto_whitelist is True
    assert settings.advanced == (
        "ifplugin Mail::SpamAssassin::Plugin::Shortcircuit\nshortcircuit BAYES_99 spam\nendif\n"
        "score MY_RULE 3"
    )
    assert parsed.notes == ("line 3: 'report_safe 7' is ignored by SpamAssassin (report_safe is 0, 1 or 2).",)


def test_a_hand_edit_above_the_divider_shows_and_its_directive_is_kept():
    text = localcf.render(SpamSettings()).text.replace("report_safe 1\n", "report_safe 1\nscore HAND 1\n")
    parsed = localcf.parse(text)
    assert parsed.managed is True and parsed.hand_edited is True
    assert parsed.settings.advanced == "score HAND 1"


def test_the_advanced_preferences_are_free_text_after_the_divider():
    text = localcf.render(SpamSettings()).text + "# my note\nscore X 1\n"
    parsed = localcf.parse(text)
    assert parsed.hand_edited is False
    assert parsed.settings.advanced == "# my note\nscore X 1"


def test_a_fields_directive_appended_after_the_divider_is_read_as_spamassassin_reads_it():
    # An admin appends to the end of the panel's local.cf: SpamAssassin reads it last, so it wins.
    text = (
        localcf.render(EVERYTHING).text + "required_score 3\nwelcomelist_from *@late.example\nreport_safe 7\n"
    )
    parsed = localcf.parse(text)
    assert (
        parsed.managed is True and parsed.hand_edited is True
    )  # the page shows it and asks before replacing
    assert parsed.settings.required_score == "3"
    assert parsed.settings.whitelist == (*EVERYTHING.whitelist, "*@late.example")
    assert parsed.settings.report_safe == 2  # report_safe 7 is ignored by SpamAssassin, and said to be
    assert any("'report_safe 7' is ignored by SpamAssassin" in note for note in parsed.notes)
    assert parsed.settings.advanced == "score NWX 2\nheader NWX Subject =~ /x/"  # a field's directive is not
    assert "required_score" not in parsed.settings.advanced


def test_trusted_networks_cleared_after_the_divider_are_read_as_cleared():
    text = localcf.render(EVERYTHING).text + "clear_trusted_networks\n"
    parsed = localcf.parse(text)
    assert parsed.hand_edited is True and parsed.settings.trusted_networks == ()
