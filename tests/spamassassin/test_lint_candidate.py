"""``spamassassin --lint`` on a candidate copy of the site directory, for real; complaints as fields."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from mailserver.spamassassin import lint, localcf
from mailserver.spamassassin.settings import SpamSettings

SPAMASSASSIN = Path("/usr/bin/spamassassin")
SETUIDGID = Path("/usr/bin/setuidgid")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site directory like Debian's: its *.pre files (lint fails on missing plugins without them)."""
    site = tmp_path / "spamassassin"
    site.mkdir()
    for pre in Path("/etc/spamassassin").glob("*.pre"):
        shutil.copyfile(pre, site / pre.name)
    (site / "local.cf").write_text("# the live file: lint never touches it\n")
    return site


def run(site: Path, settings: SpamSettings) -> lint.LintResult:
    rendered = localcf.render(settings)
    return lint.lint_candidate(
        site, rendered, spamassassin=SPAMASSASSIN, setuidgid=SETUIDGID, user="debian-spamd"
    )


def test_a_clean_candidate_passes_and_the_live_file_is_untouched(site):
    result = run(site, replace(SpamSettings(), auto_whitelist=True, trusted_networks=("10.0.0.0/8",)))
    assert result.ok, result.output
    assert result.problems == ()
    assert (site / "local.cf").read_text() == "# the live file: lint never touches it\n"


def test_each_bad_line_of_the_advanced_preferences_is_named_with_its_line_in_the_text_box(site):
    advanced = "score NWX_OK 1\nno_such_directive 1\n\nheader NWX_BAD Subject =~ /(/\nscore NWX_OK 2"
    result = run(site, replace(SpamSettings(), advanced=advanced))
    assert not result.ok
    by_line = {p.field_line: p for p in result.problems}
    assert set(by_line) >= {2, 4}
    assert by_line[2].field == "advanced" and by_line[2].message == "failed to parse line"
    assert by_line[2].text == "no_such_directive 1"
    assert by_line[2].describe() == "Advanced preferences, line 2: failed to parse line: no_such_directive 1"
    assert all(p.field == "advanced" and p.field_line not in (1, 3, 5) for p in result.problems)


def test_a_problem_in_another_file_of_the_site_is_named_by_that_file(site):
    (site / "zz-mine.cf").write_text("score\n")
    result = run(site, SpamSettings())
    assert not result.ok
    assert [(p.field, p.file, p.line) for p in result.problems] == [(None, "zz-mine.cf", 1)]
    assert result.problems[0].describe().startswith("zz-mine.cf, line 1: ")


def test_lint_without_spamassassin_is_said_plainly(site, tmp_path):
    with pytest.raises(lint.LintUnavailable, match="not installed"):
        lint.lint_candidate(site, localcf.render(SpamSettings()), spamassassin=tmp_path / "spamassassin")


CAPTURED = "".join(
    f"Dec  1 16:07:47.591 [24048] warn: {line}\n"
    for line in (
        "config: invalid 'report_safe' value in {dir}/local.cf (line {report}): report_safe 7",
        "netset: illegal IP address given: '300.1.2.3'",
        "config: failed to parse line in {dir}/local.cf (line {advanced}): foo bar baz",
        "config: failed to parse line in {dir}/v310.pre (line 3): loadplugin Nope",
        "lint: 3 issues detected, please rerun with debug enabled for more information",
    )
)  # spamassassin 4.0.1's output, with the candidate's line numbers


def test_captured_output_maps_to_fields_including_netsets_unnumbered_warning():
    rendered = localcf.render(
        replace(SpamSettings(), trusted_networks=("300.1.2.3",), advanced="foo bar baz")
    )
    lines = rendered.text.split("\n")
    report, advanced = lines.index("report_safe 1") + 1, rendered.advanced_first_line
    output = CAPTURED.format(dir="/tmp/cand", report=report, advanced=advanced)
    problems = lint.parse_output(output, "/tmp/cand", rendered)
    assert [(p.field, p.file, p.line) for p in problems] == [
        ("report_safe", "local.cf", report),
        ("trusted_networks", "local.cf", lines.index("trusted_networks 300.1.2.3") + 1),
        ("advanced", "local.cf", advanced),
        (None, "v310.pre", 3),
    ]
    assert problems[0].describe() == "Reporting method: invalid 'report_safe' value: report_safe 7"
