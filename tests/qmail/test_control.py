"""mailserver.qmail.control: read like qmail, refuse what qmail would misread, write back faithfully."""

from __future__ import annotations

import pytest

from mailserver.demo.builder import DATA
from mailserver.qmail import badrcptto, control
from mailserver.qmail.control import (
    SPECS,
    Default,
    TakesEffect,
    address_to_badrcptto,
    badrcptto_to_address,
    read_line,
    read_list,
    read_number,
    read_value,
    render,
    validate,
)
from mailserver.qmail.errors import InvalidValue

FIXTURE = DATA / "control"


def refused(name: str, value: object, **kwargs: int) -> str:
    with pytest.raises(InvalidValue) as info:
        validate(name, value, **kwargs)
    return str(info.value)


# ------------------------------------------------------------------ readers


def test_read_line_keeps_only_line_one_without_trailing_blanks() -> None:
    assert read_line(b"mail.example.test \t\nsecond line\n") == "mail.example.test"


def test_read_line_keeps_leading_blanks_and_hash() -> None:
    assert read_line(b"  #mail.example.test\n") == "  #mail.example.test"


def test_read_line_of_empty_file_is_an_empty_value_not_the_default() -> None:
    assert read_line(b"") == ""
    assert read_line(None) is None


def test_read_line_keeps_a_carriage_return() -> None:
    assert read_line(b"mail.example.test\r\n") == "mail.example.test\r"


def test_read_number_takes_the_leading_digits() -> None:
    assert read_number(b"20x\n") == 20
    assert read_number(b"1200\n") == 1200


@pytest.mark.parametrize("raw", [b" 20\n", b"x20\n", b"-5\n", b"", b"\n"])
def test_read_number_without_a_leading_digit_means_absent(raw: bytes) -> None:
    assert read_number(raw) is None


def test_read_number_wraps_like_a_c_int() -> None:
    assert read_number(b"2147483648\n") == -(2**31)
    assert read_number(b"4294967296\n") == 0
    assert read_number(b"18446744073709551617\n") == 1


def test_read_list_skips_blank_and_comment_lines_and_trailing_blanks() -> None:
    raw = b"# local domains\nexample.test  \n\n  indented.test\n#x\nlast.test"
    assert read_list(raw) == ["example.test", "  indented.test", "last.test"]


def test_read_list_of_missing_file_is_empty() -> None:
    assert read_list(None) == []


# ------------------------------------------------------------------ the real notqmail's files


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("me", "mail.example.test"),
        ("defaultdomain", "example.test"),
        ("plusdomain", "example.test"),
        ("databytes", 2000),
        ("concurrencyincoming", 20),
        ("locals", ["mail.example.test", "localhost", "example.test"]),
        ("rcpthosts", ["mail.example.test", "localhost", "example.test"]),
        ("badmailfrom", ["spammer@bad.example.test", "@spam.example.test"]),
        ("smtproutes", [
            "sink.example.net:127.0.0.1:2526",
            "reject.example.com:127.0.0.1:2528",
            "greylist.example.org:127.0.0.1:2529",
            "deferred.example.org:127.0.0.1:2527",
            ":127.0.0.1:2527",
        ]),
    ],
)  # fmt: skip
def test_real_control_files_read_as_qmail_reads_them_and_round_trip(name: str, expected: object) -> None:
    raw = (FIXTURE / name).read_bytes()
    result = read_value(name, raw)
    assert result.exists
    assert result.value == expected
    assert result.canonical, result.note
    assert render(name, validate(name, result.value)) == raw


def test_every_real_file_the_panel_manages_is_valid() -> None:
    managed = [p.name for p in FIXTURE.iterdir() if p.name in SPECS]
    assert len(managed) >= 9
    for name in managed:
        assert read_value(name, (FIXTURE / name).read_bytes()).canonical, name


# ------------------------------------------------------------------ numbers


def test_refuses_number_with_trailing_letters() -> None:
    message = refused("timeoutsmtpd", "20x")
    assert message == 'Timeout must be a whole number of seconds from 1 to 86400; qmail reads "20x" as 20.'


def test_refuses_number_without_digits_and_names_the_default_qmail_would_keep() -> None:
    assert 'qmail would ignore "abc" and silently keep the default (1200)' in refused("timeoutremote", "abc")


@pytest.mark.parametrize("value", ["-5", "+5", "2.5", "1e3", "0x10", "", " ", "٣"])
def test_refuses_anything_but_plain_digits(value: str) -> None:
    refused("timeoutsmtpd", value)


def test_accepts_digits_as_text_or_int_and_trims_surrounding_spaces() -> None:
    assert validate("timeoutsmtpd", " 30 ") == 30
    assert validate("timeoutsmtpd", 30) == 30
    assert validate("timeoutsmtpd", "0030") == 30


def test_refuses_true_as_a_number() -> None:
    refused("databytes", True)


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("timeoutsmtpd", 1, 86400),
        ("timeoutremote", 1, 86400),
        ("timeoutconnect", 1, 75),
        ("databytes", 0, 2**31 - 1),
        ("queuelifetime", 0, 2**31 - 1),
        ("concurrencyremote", 0, 120),
        ("concurrencylocal", 0, 120),
        ("concurrencyincoming", 1, control.MAX_INCOMING),
    ],
)
def test_number_ranges(name: str, low: int, high: int) -> None:
    assert validate(name, low) == low
    assert validate(name, str(high)) == high
    assert f"from {low} to {high}" in refused(name, high + 1)
    if low > 0:
        refused(name, low - 1)


def test_connect_timeout_explains_the_kernel_limit() -> None:
    assert "75 seconds" in refused("timeoutconnect", 90)


def test_concurrency_is_capped_at_this_hosts_conf_spawn() -> None:
    assert validate("concurrencyremote", 200, conf_spawn=255) == 200
    message = refused("concurrencyremote", 200)
    assert "conf-spawn (120)" in message
    assert "silently" in message


def test_huge_number_is_refused_without_converting_it() -> None:
    assert "far too large" in refused("databytes", "9" * 5000)


def test_inbound_connections_explain_what_tcpserver_would_do() -> None:
    assert "accept no connections" in refused("concurrencyincoming", "twenty")
    assert 'tcpserver reads "20x" as 20' in refused("concurrencyincoming", "20x")


# ------------------------------------------------------------------ one-line values


def test_refuses_a_newline_inside_a_one_line_value() -> None:
    assert "single line" in refused("me", "mail.example.test\nevil.example")
    assert "single line" in refused("bouncefrom", "MAILER-DAEMON\r\nx")


def test_drops_a_trailing_newline_and_blanks_like_qmail() -> None:
    assert validate("me", "mail.example.test \n") == "mail.example.test"


def test_refuses_an_empty_value_because_qmail_would_use_it() -> None:
    assert "not the same as no file" in refused("bouncefrom", "")


def test_refuses_a_leading_space_qmail_would_keep() -> None:
    assert "starts with a space" in refused("me", " mail.example.test")


def test_host_names_are_lower_cased() -> None:
    assert validate("me", "Mail.Example.TEST") == "mail.example.test"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("mail.example.test.", "ends with a dot"),
        ("mail_1.example.test", "no underscores"),
        ("mail example.test", "space"),
        ("-mail.example.test", "hyphen"),
        ("mail..example.test", "two dots"),
        ("192.0.2.1", "IP address"),
        ("localhost", "fully qualified"),
        ("bücher.example", "xn--"),
        ("a" * 64 + ".example", "63 characters"),
        (".example.test", "starts with a dot"),
    ],
)
def test_refuses_host_names_qmail_would_misread(value: str, reason: str) -> None:
    assert reason in refused("me", value)


def test_bounce_from_is_a_local_part_only() -> None:
    assert validate("bouncefrom", "MAILER-DAEMON") == "MAILER-DAEMON"
    assert 'part before the "@"' in refused("bouncefrom", "mailer@example.test")
    assert "space" in refused("bouncefrom", "mailer daemon")


def test_double_bounce_to_refuses_an_address() -> None:
    assert validate("doublebounceto", "postmaster") == "postmaster"
    assert "Double Bounce Host" in refused("doublebounceto", "postmaster@example.test")


def test_greeting_must_start_with_a_host_name() -> None:
    assert validate("smtpgreeting", "mail.example.test ready") == "mail.example.test ready"
    assert "220 <greeting> ESMTP" in refused("smtpgreeting", "Welcome to our server")


@pytest.mark.parametrize(
    "value", ["mail.example.test\tready", "mail.example.test grüezi", "mail.example.test " + "x" * 500]
)
def test_greeting_is_short_printable_ascii(value: str) -> None:
    refused("smtpgreeting", value)


# ------------------------------------------------------------------ list files


def test_list_errors_name_the_line() -> None:
    message = refused("locals", "example.test\n\nbad_name.test\n")
    assert message.startswith("Line 3: ")


def test_list_errors_name_every_bad_line_at_once() -> None:
    message = refused("badmailfrom", "ok@example.test\nnot an address\n# note\n@good.example.test\n x@y.test")
    assert [line.split(" ", 2)[1].rstrip(":") for line in message.splitlines()] == ["2", "3", "5"]


def test_a_list_with_many_bad_lines_names_the_first_twenty_and_counts_the_rest() -> None:
    lines = refused("smtproutes", "\n".join(f"no-colon-{n}.example.test" for n in range(1, 31))).splitlines()
    assert len(lines) == 21 and lines[0].startswith("Line 1: ") and lines[19].startswith("Line 20: ")
    assert lines[20] == "… and 10 more lines like these."


def test_list_refuses_a_leading_space_that_would_never_match() -> None:
    assert "never match" in refused("rcpthosts", "example.test\n  other.test")


def test_list_refuses_comments_rather_than_dropping_them() -> None:
    assert "comment" in refused("locals", "# ours\nexample.test")


def test_list_drops_blank_lines_and_trailing_spaces_and_accepts_crlf() -> None:
    assert validate("locals", "Example.test  \r\n\r\nlocalhost\r\n") == ["example.test", "localhost"]


def test_list_entry_smuggling_a_newline_is_refused() -> None:
    assert "Line 2 contains a line break" in refused("rcpthosts", ["example.test", "b.test\nevil.test"])


def test_rcpthosts_accepts_a_leading_dot_for_subdomains() -> None:
    assert validate("rcpthosts", [".example.test", "example.test"]) == [".example.test", "example.test"]
    refused("locals", ".example.test")


@pytest.mark.parametrize("entry", [".com", ".COM", ".test", ".uk"])
def test_rcpthosts_refuses_a_leading_dot_before_a_top_level_domain(entry: str) -> None:
    message = refused("rcpthosts", f"example.test\n{entry}")
    assert message.startswith(f'Line 2: "{entry}"')
    assert f"every host ending in {entry.lower()}" in message and "relay" in message


@pytest.mark.parametrize("entry", ["com", "net", "uk", "COM"])
def test_rcpthosts_refuses_a_bare_top_level_domain(entry: str) -> None:
    message = refused("rcpthosts", entry)
    assert "top-level domain" in message and "localhost" in message


def test_rcpthosts_keeps_localhost_and_full_names() -> None:
    entries = ["localhost", "mail.example.test", ".example.test", ".co.example"]
    assert validate("rcpthosts", entries) == entries
    assert read_value("rcpthosts", b".com\nexample.test\n").canonical is False


def test_rcpthosts_cannot_be_emptied() -> None:
    assert "refuses all incoming mail" in refused("rcpthosts", "\n")


def test_badmailfrom_takes_addresses_and_whole_domains() -> None:
    assert validate("badmailfrom", "Spammer@Bad.Example.test\n@spam.example.test") == [
        "Spammer@bad.example.test",
        "@spam.example.test",
    ]


def test_badmailfrom_explains_that_subdomains_are_not_covered() -> None:
    assert "not at its subdomains" in refused("badmailfrom", "@.spam.example.test")
    assert "not at its subdomains" in refused("badmailfrom", "@*.spam.example.test")


def test_badmailfrom_explains_a_bad_address() -> None:
    assert 'more than one "@"' in refused("badmailfrom", "a@b@example.test")
    assert 'part before the "@" in "a b@example.test" contains a space' in refused(
        "badmailfrom", "a b@example.test"
    )


def test_badmailfrom_refuses_a_bare_domain() -> None:
    assert "@example.com" in refused("badmailfrom", "spam.example.test")


# ------------------------------------------------------------------ badrcptto (qregex)


def test_address_to_badrcptto_anchors_and_escapes() -> None:
    assert address_to_badrcptto("user@example.test") == r"^user@example\.test$"
    assert address_to_badrcptto("@Example.test") == r"@example\.test$"
    assert address_to_badrcptto("first.last+tag@example.test") == r"^first\.last\+tag@example\.test$"


def test_badrcptto_to_address_reverses_only_what_the_panel_writes() -> None:
    assert badrcptto_to_address(r"^user@example\.test$") == "user@example.test"
    assert badrcptto_to_address(r"@example\.test$") == "@example.test"
    assert badrcptto_to_address("@example.test") is None  # unescaped: "." matches any character
    assert badrcptto_to_address("^spam.*@") is None


def test_badrcptto_converts_plain_entries_and_keeps_hand_written_regexes() -> None:
    value = "user@example.test\n@example.org\n^spam.*@\n!^ok@\n[[:alpha:]]+@example\\.net$\n@example\\.com$"
    assert validate("badrcptto", value) == [
        r"^user@example\.test$",
        r"@example\.org$",
        "^spam.*@",
        "!^ok@",
        r"[[:alpha:]]+@example\.net$",
        r"@example\.com$",
    ]


def test_badrcptto_takes_an_address_with_a_plus_as_that_address() -> None:
    # "+" is common in real addresses (subaddresses); as an ERE it would repeat the character before it.
    assert validate("badrcptto", "first.last+tag@example.test") == [r"^first\.last\+tag@example\.test$"]


def test_badrcptto_refuses_perl_only_syntax() -> None:
    assert "[0-9]" in refused("badrcptto", r"^user\d@")
    assert "Perl" in refused("badrcptto", "(?i)^user@")


@pytest.mark.parametrize("pattern", ["(abc", "a{1,2@", "[z-a]@"])
def test_badrcptto_refuses_patterns_the_regex_library_rejects(pattern: str) -> None:
    assert "not a valid regular expression" in refused("badrcptto", pattern)


def test_badrcptto_falls_back_to_a_rough_check_without_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(badrcptto, "_glibc_regcomp", lambda: None)
    assert validate("badrcptto", "^spam.*@") == ["^spam.*@"]
    refused("badrcptto", "(abc")


# ------------------------------------------------------------------ render / read_value


def test_render_writes_one_line_or_one_entry_per_line() -> None:
    assert render("me", "mail.example.test") == b"mail.example.test\n"
    assert render("databytes", 0) == b"0\n"
    assert render("locals", ["a.test", "b.test"]) == b"a.test\nb.test\n"
    assert render("badmailfrom", []) == b""


def test_render_refuses_an_entry_with_a_line_break() -> None:
    with pytest.raises(InvalidValue):
        render("rcpthosts", ["a.test\nevil.test"])


def test_render_refuses_a_value_of_the_wrong_kind() -> None:
    with pytest.raises(TypeError):
        render("databytes", "2000x")
    with pytest.raises(TypeError):
        render("locals", "example.test")


def test_refuses_a_list_that_would_be_larger_than_the_size_limit() -> None:
    entries = [f"user{n:06d}@a-rather-long-domain-name.example.test" for n in range(25_000)]
    message = refused("badmailfrom", "\n".join(entries))
    assert "1 MiB" in message and message.startswith("Inbound Address Blacklist")
    assert len(render("badmailfrom", validate("badmailfrom", entries[:20_000]))) <= control.MAX_SIZE


def test_validation_is_idempotent() -> None:
    samples = {
        "me": "Mail.Example.test",
        "databytes": "2000",
        "badrcptto": "user@example.test\n^spam",
        "smtproutes": "Example.test:Relay.example.net:2525\n:[192.0.2.1]",
        "rcpthosts": ".Example.test",
    }
    for name, value in samples.items():
        once = validate(name, value)
        assert validate(name, once) == once


def test_read_value_of_missing_file_means_default() -> None:
    result = read_value("timeoutsmtpd", None)
    assert (result.exists, result.value, result.canonical) == (False, None, True)
    assert SPECS["timeoutsmtpd"].default == 1200


def test_read_value_notices_trailing_letters_in_a_number() -> None:
    result = read_value("databytes", b"2000x\n")
    assert (result.value, result.canonical) == (2000, False)
    assert 'qmail reads "2000x" as 2000' in result.note


@pytest.mark.parametrize(
    ("raw", "tcpserver"),
    [(b"20x\n", "reads it as 20"), (b"twenty\n", "reads it as 0 and accepts no connection")],
)
def test_read_value_says_the_smtp_run_scripts_read_concurrencyincoming(raw: bytes, tcpserver: str) -> None:
    # No qmail program reads it and it has no default: the panel's run script exits on anything but
    # digits (supervise restarts it forever), a stock one hands it to tcpserver -c.
    result = read_value("concurrencyincoming", raw)
    assert result.canonical is False
    assert result.note.startswith("The panel's SMTP run scripts refuse to start while it holds")
    assert tcpserver in result.note and "qmail reads" not in result.note and "default" not in result.note


def test_read_value_notices_a_number_qmail_ignores() -> None:
    result = read_value("timeoutsmtpd", b"twenty\n")
    assert (result.value, result.canonical) == (None, False)
    assert "default applies" in result.note


def test_read_value_notices_comments_that_saving_would_drop() -> None:
    result = read_value("locals", b"# ours\nexample.test\n")
    assert result.value == ["example.test"]
    assert not result.canonical
    assert "comments" in result.note


def test_read_value_notices_extra_lines_in_a_one_line_file() -> None:
    result = read_value("me", b"mail.example.test\nold.example.test\n")
    assert result.value == "mail.example.test"
    assert "first line" in result.note


def test_read_value_notices_windows_line_endings() -> None:
    result = read_value("rcpthosts", b"example.test\r\n")
    assert result.value == ["example.test\r"]
    assert "Windows line endings" in result.note


def test_read_value_reports_why_a_hand_edit_is_invalid() -> None:
    result = read_value("rcpthosts", b"example.test\n exampl.test\n")
    assert not result.canonical
    assert result.note.startswith("Line 2:")


def test_read_value_shows_how_saving_would_rewrite_a_plain_badrcptto_line() -> None:
    result = read_value("badrcptto", b"@example.test\n")
    assert not result.canonical
    assert r'as "@example\.test$"' in result.note


def test_read_value_keeps_a_hand_written_regex_canonical() -> None:
    assert read_value("badrcptto", b"^spam.*@\n!^ok@example\\.test$\n").canonical


def test_read_value_missing_final_newline_is_only_formatting() -> None:
    result = read_value("me", b"mail.example.test")
    assert result.value == "mail.example.test"
    assert not result.canonical
    assert "final newline" in result.note


# ------------------------------------------------------------------ specs


def test_specs_cover_the_mta_page() -> None:
    assert set(SPECS) == {
        "me", "defaultdomain", "plusdomain", "bouncefrom", "bouncehost", "doublebounceto",
        "doublebouncehost", "smtpgreeting", "timeoutsmtpd", "databytes", "concurrencyincoming",
        "concurrencyremote", "concurrencylocal", "timeoutremote", "timeoutconnect", "queuelifetime",
        "badmailfrom", "badrcptto", "rcpthosts", "locals", "virtualdomains", "smtproutes",
    }  # fmt: skip
    for name, spec in SPECS.items():
        assert spec.name == name and spec.label and spec.readers
        assert (spec.number is not None) == (spec.kind == "number")
        assert (spec.validator is not None) == (spec.kind != "number")


def test_when_changes_take_effect() -> None:
    assert SPECS["locals"].takes_effect is TakesEffect.SEND_HUP
    assert SPECS["concurrencyremote"].takes_effect is TakesEffect.SEND_RESTART
    assert SPECS["bouncefrom"].takes_effect is TakesEffect.SEND_RESTART
    assert SPECS["concurrencyincoming"].takes_effect is TakesEffect.SMTPD_RESTART
    for name in ("smtproutes", "timeoutremote", "databytes", "rcpthosts", "badmailfrom", "smtpgreeting"):
        assert SPECS[name].takes_effect is TakesEffect.IMMEDIATE


def test_defaults_follow_qmail() -> None:
    assert SPECS["me"].default is None
    assert SPECS["defaultdomain"].default is Default.ME
    assert SPECS["bouncefrom"].default == "MAILER-DAEMON"
    assert SPECS["doublebounceto"].default == "postmaster"
    assert SPECS["concurrencyremote"].default == 20
    assert SPECS["concurrencylocal"].default == 10
    assert SPECS["timeoutconnect"].default == 60
    assert SPECS["queuelifetime"].default == 604800


def test_files_whose_removal_breaks_the_server_are_not_removable() -> None:
    assert not SPECS["rcpthosts"].removable
    assert "open relay" in SPECS["rcpthosts"].when_missing
    assert not SPECS["me"].removable
    assert not SPECS["concurrencyincoming"].removable
    assert SPECS["databytes"].removable
