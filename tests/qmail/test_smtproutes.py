"""mailserver.qmail.smtproutes: parse, validate and look up routes the way qmail-remote does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mailserver.demo.builder import DATA
from mailserver.qmail import control
from mailserver.qmail.errors import InvalidValue
from mailserver.qmail.smtproutes import Route, lookup, parse, points_back, warnings_for

FIXTURE = DATA / "control"
ROOT = Path(__file__).resolve().parents[2]
GUIDE = ".domain.tld:\n:relay.tld\n"  # the NodeWorx guide's "exempt the subdomains" example


def validate(text: str) -> str:
    """The whole file as the panel writes it: the list-file rules plus each route's check."""
    return control.render("smtproutes", control.validate("smtproutes", text)).decode()


@pytest.fixture
def real_routes() -> list[Route]:
    return parse((FIXTURE / "smtproutes").read_text())


def refused(text: str) -> str:
    with pytest.raises(InvalidValue) as info:
        validate(text)
    return str(info.value)


# ------------------------------------------------------------------ parse


def test_parses_the_real_file(real_routes: list[Route]) -> None:
    assert real_routes[0] == Route(1, "sink.example.net", "127.0.0.1", 2526)
    assert real_routes[-1] == Route(5, "", "127.0.0.1", 2527)
    assert len(real_routes) == 5


def test_parse_reads_hand_written_oddities_as_qmail_remote_does() -> None:
    routes = parse("# comment\n\nnocolon\nmx.test:\nbroken.test::2525\nport.test:relay.test:25x \n")
    assert routes == [
        Route(4, "mx.test", None, None),
        Route(5, "broken.test", "", 2525),
        Route(6, "port.test", "relay.test", 25),
    ]


def test_route_text_rebuilds_the_line() -> None:
    assert [r.text for r in parse("a.test:\nb.test:r.test\nc.test:r.test:26\n:r.test")] == [
        "a.test:",
        "b.test:r.test",
        "c.test:r.test:26",
        ":r.test",
    ]


# ------------------------------------------------------------------ lookup


def test_exact_domain_uses_its_route(real_routes: list[Route]) -> None:
    decision = lookup(real_routes, "alice@sink.example.net")
    assert (decision.key, decision.relay, decision.port, decision.line) == (
        "sink.example.net",
        "127.0.0.1",
        2526,
        1,
    )
    assert "routes sink.example.net itself" in decision.explanation
    assert "127.0.0.1 port 2526" in decision.explanation


def test_lookup_ignores_case(real_routes: list[Route]) -> None:
    assert lookup(real_routes, "Bob@Reject.Example.COM").port == 2528


def test_exact_route_does_not_cover_subdomains(real_routes: list[Route]) -> None:
    decision = lookup(real_routes, "x@mx.sink.example.net")
    assert decision.key == ""
    assert decision.port == 2527
    assert "catch-all" in decision.explanation


def test_other_domains_take_the_catch_all(real_routes: list[Route]) -> None:
    decision = lookup(real_routes, "someone@elsewhere.example")
    assert (decision.key, decision.relay, decision.port) == ("", "127.0.0.1", 2527)


def test_guide_example_subdomains_use_mx_and_everything_else_the_relay() -> None:
    routes = parse(GUIDE)
    sub = lookup(routes, "user@mail.domain.tld")
    assert (sub.key, sub.relay, sub.port) == (".domain.tld", None, 25)
    assert "MX records of mail.domain.tld" in sub.explanation
    bare = lookup(routes, "user@domain.tld")  # ".domain.tld" never matches domain.tld itself
    assert (bare.key, bare.relay, bare.port) == ("", "relay.tld", 25)
    assert "A record" in bare.explanation
    assert lookup(routes, "user@example.com").relay == "relay.tld"


def test_guide_example_with_port() -> None:
    decision = lookup(parse("domain.tld:relay.tld:26\n"), "x@domain.tld")
    assert (decision.relay, decision.port) == ("relay.tld", 26)


def test_exact_beats_wildcard_and_longer_suffix_beats_shorter() -> None:
    routes = parse(
        ":catchall.test\n.com:com.test\n.ex.com:ex.test\n.b.ex.com:b.test\na.b.ex.com:exact.test\n"
    )
    assert lookup(routes, "a.b.ex.com").relay == "exact.test"
    assert lookup(routes, "z.b.ex.com").relay == "b.test"
    assert lookup(routes, "b.ex.com").relay == "ex.test"
    assert lookup(routes, "ex.com").relay == "com.test"
    assert lookup(routes, "ex.org").relay == "catchall.test"


def test_wildcard_never_matches_the_bare_domain() -> None:
    decision = lookup(parse(".ex.com:relay.test\n"), "u@ex.com")
    assert decision.key is None
    assert decision.relay is None


def test_no_route_means_normal_mx_lookup() -> None:
    decision = lookup(parse("other.test:relay.test\n"), "u@example.test")
    assert (decision.key, decision.relay, decision.port, decision.line) == (None, None, 25, None)
    assert "No route matches example.test" in decision.explanation


def test_empty_relay_exempts_a_domain_from_the_catch_all() -> None:
    decision = lookup(parse(":smarthost.test\nexample.test:\n"), "u@example.test")
    assert (decision.key, decision.relay, decision.port) == ("example.test", None, 25)


def test_last_of_repeated_lines_wins() -> None:
    decision = lookup(parse("example.test:first.test\nEXAMPLE.test:second.test\n"), "u@example.test")
    assert (decision.relay, decision.line) == ("second.test", 2)


def test_empty_relay_with_port_is_reported_broken() -> None:
    decision = lookup(parse("example.test::2525\n"), "u@example.test")
    assert decision.broken
    assert decision.relay == ""
    assert "fails" in decision.explanation


def test_bare_domain_can_be_looked_up() -> None:
    assert lookup(parse("example.test:relay.test\n"), "example.test").relay == "relay.test"


# ------------------------------------------------------------------ validate


def test_real_file_is_valid_and_unchanged() -> None:
    text = (FIXTURE / "smtproutes").read_text()
    assert validate(text) == text


def test_guide_examples_are_valid() -> None:
    text = (
        "domain.com:alt1.aspmx.l.google.com\ndomain.tld:relay.tld:26\nother.tld:\n.domain.tld:\n:relay.tld\n"
    )
    assert validate(text) == text


def test_validate_normalises_case_blank_lines_and_trailing_spaces() -> None:
    assert validate("Example.TEST:Relay.Example.NET:0025  \r\n\r\n:[192.0.2.1]\n") == (
        "example.test:relay.example.net:25\n:[192.0.2.1]\n"
    )


def test_refuses_spaces() -> None:
    assert "space" in refused("example.test: relay.test")


def test_refuses_empty_relay_with_a_port() -> None:
    message = refused("ok.test:relay.test\nexample.test::2525")
    assert message.startswith("Line 2:")
    assert "empty host name" in message


@pytest.mark.parametrize("port", ["abc", "25x", "0", "65536", "99999999"])
def test_refuses_bad_ports(port: str) -> None:
    assert "1 to 65535" in refused(f"example.test:relay.test:{port}")


def test_refuses_a_colon_without_a_port() -> None:
    assert "port 0" in refused("example.test:relay.test:")


@pytest.mark.parametrize("relay", ["[2001:db8::1]", "2001:db8::1", "[2001:db8::1]:25"])
def test_refuses_ipv6_relays(relay: str) -> None:
    assert "IPv6" in refused(f"example.test:{relay}")


@pytest.mark.parametrize("relay", ["1.2.3", "[relay.test]", "relay_1.test", "relay.test.", "[1.2.3.4"])
def test_refuses_relays_that_are_neither_host_name_nor_dotted_quad(relay: str) -> None:
    refused(f"example.test:{relay}")


def test_refuses_octets_above_255() -> None:
    assert "0 to 255" in refused("example.test:192.0.2.256")


def test_refuses_a_line_without_a_colon() -> None:
    assert "ignores it" in refused("example.test")


def test_refuses_an_address_as_key() -> None:
    assert "per domain" in refused("user@example.test:relay.test")


def test_refuses_comments() -> None:
    assert "comment" in refused("# smarthost\n:relay.test")


# ------------------------------------------------------------------ warnings


def test_warns_about_repeated_keys_ignoring_case() -> None:
    found = warnings_for(parse("example.test:a.test\n:x.test\nExample.test:b.test\n:y.test\n"))
    assert len(found) == 2
    assert found[0].startswith("Line 3 repeats the route for example.test (also on line 1)")
    assert "the catch-all" in found[1]


def test_no_warnings_for_the_real_file(real_routes: list[Route]) -> None:
    assert warnings_for(real_routes) == []


# ------------------------------------------------------------------ loops


def test_relay_on_loopback_and_our_smtp_port_points_back(real_routes: list[Route]) -> None:
    decision = lookup(real_routes, "u@deferred.example.org")
    assert points_back(decision, ["mail.example.test"], ["192.0.2.10"], [2527])
    assert not points_back(decision, ["mail.example.test"], ["192.0.2.10"], [25, 587])


def test_relay_naming_this_server_points_back() -> None:
    decision = lookup(parse(":Mail.Example.test\n"), "u@elsewhere.test")
    assert points_back(decision, ["mail.example.test."], [], [25])
    assert not points_back(decision, ["other.example.test"], [], [25])


def test_relay_at_one_of_our_addresses_points_back() -> None:
    decision = lookup(parse(":[192.0.2.10]:587\n"), "u@elsewhere.test")
    assert points_back(decision, [], ["192.0.2.10", "2001:db8::1", "junk"], [25, 587])
    assert not points_back(decision, [], ["192.0.2.11"], [25, 587])


@pytest.mark.parametrize("relay", ["127.0.0.2", "[127.1.2.3]", "localhost", "0.0.0.0"])  # noqa: S104  # a relay, not a bind
def test_local_host_relays_point_back(relay: str) -> None:
    assert points_back(lookup(parse(f":{relay}\n"), "elsewhere.test"), [], [], [25])


def test_mx_lookup_is_never_reported_as_a_loop() -> None:
    decision = lookup(parse("example.test:\n"), "u@example.test")
    assert not points_back(decision, ["example.test"], ["127.0.0.1"], [25])


# ------------------------------------------------------------------ layering


def test_the_route_module_loads_without_the_control_file_machinery() -> None:
    # control → specs → smtproutes, one way only: smtproutes needs neither of the other two.
    probe = "import sys, mailserver.qmail.smtproutes; print(sorted(m for m in sys.modules if 'qmail.' in m))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60, cwd=ROOT
    ).stdout
    assert "mailserver.qmail.smtproutes" in loaded
    assert "mailserver.qmail.control" not in loaded and "mailserver.qmail.specs" not in loaded


@pytest.mark.parametrize("address", ["postmaster@[192.0.2.7]", "postmaster@192.0.2.7"])
def test_an_address_literal_is_connected_to_directly_not_looked_up(address: str) -> None:
    # qmail-remote's dns_mxip takes "[1.2.3.4]" or "1.2.3.4" as the address itself: no MX lookup.
    decision = lookup(parse("example.test:relay.example.net"), address)
    assert (decision.relay, decision.direct, decision.port) == (None, "192.0.2.7", 25)
    assert "connects to 192.0.2.7 port 25 directly, with no MX lookup" in decision.explanation
    assert "MX records" not in decision.explanation
    routed = lookup(parse(":smart.example.net"), address)  # the catch-all still applies to it
    assert (routed.relay, routed.direct) == ("smart.example.net", None)
