"""mailserver.qmail.delivery: qmail-send keeps local recipients; only the rest reach smtproutes."""

from __future__ import annotations

from mailserver.demo.builder import DATA
from mailserver.qmail import control
from mailserver.qmail.delivery import decide, local_domains
from mailserver.qmail.smtproutes import lookup, parse

CONTROL = DATA / "control"
ROUTES = parse((CONTROL / "smtproutes").read_text())  # ends with the catch-all ":127.0.0.1:2527"


def values(**files: bytes | None) -> dict[str, object]:
    """Control file values as the agent reports them, from the captured server plus ``files``."""
    raw = {name: (CONTROL / name).read_bytes() for name in ("me", "locals")}
    raw.update(files)
    return {name: control.read_value(name, content).value for name, content in raw.items()}


def test_a_domain_in_locals_is_delivered_here_not_by_the_catch_all_route() -> None:
    assert lookup(ROUTES, "bob@example.test").key == ""  # what the route tester used to say
    decision = decide(ROUTES, "bob@Example.TEST", values())
    assert decision.local == "control/locals"
    assert (decision.relay, decision.key, decision.line) == (None, None, None)
    assert "control/smtproutes, is never involved" in decision.explanation


def test_without_a_locals_file_the_host_name_is_local() -> None:
    assert local_domains(values(locals=None)) == ["mail.example.test"]
    assert decide(ROUTES, "root@mail.example.test", values(locals=None)).local == "control/locals"
    assert decide(ROUTES, "bob@example.test", values(locals=None)).local == ""
    assert local_domains(values(locals=b"")) == []  # an empty file: nothing is local, not even me


def test_a_virtual_domain_is_delivered_here_under_its_prefix() -> None:
    vdoms = b"example.net:example.net\n.lists.example.net:lists\n"
    decision = decide(ROUTES, "bob@a.lists.example.net", values(virtualdomains=vdoms))
    assert decision.local == "virtualdomains → lists"
    assert "lists-bob@a.lists.example.net" in decision.explanation


def test_locals_comes_before_virtualdomains() -> None:
    decision = decide(ROUTES, "bob@example.test", values(virtualdomains=b"example.test:other\n"))
    assert decision.local == "control/locals"


def test_an_exception_in_virtualdomains_goes_to_qmail_remote() -> None:
    vdoms = b":catchall\nsink.example.net:\n"
    decision = decide(ROUTES, "bob@sink.example.net", values(virtualdomains=vdoms))
    assert (decision.local, decision.relay, decision.port) == ("", "127.0.0.1", 2526)
    assert decision.explanation.startswith('control/virtualdomains has "sink.example.net:"')
    assert decide(ROUTES, "bob@other.test", values(virtualdomains=vdoms)).local == "virtualdomains → catchall"


def test_a_remote_domain_still_follows_smtproutes() -> None:
    decision = decide(ROUTES, "bob@sink.example.net", values(virtualdomains=None))
    assert decision == lookup(ROUTES, "bob@sink.example.net")
