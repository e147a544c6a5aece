"""mailserver.qmail.virtualdomains: read, checked and looked up the way qmail-send does."""

from __future__ import annotations

import pytest

from mailserver.qmail import control
from mailserver.qmail.errors import InvalidValue
from mailserver.qmail.virtualdomains import VirtualDomain, check_line, lookup, parse

TABLE = parse(
    """# vpopmail domains
example.net:example.net
vip@example.net:vip
.lists.example.net:lists
bounce.lists.example.net:
:catchall
""".splitlines()
)


def refused(line: str) -> str:
    with pytest.raises(InvalidValue) as info:
        check_line(line)
    return str(info.value)


def test_parse_keeps_what_qmail_send_loads() -> None:
    assert parse(["# c", "", "nocolon", "Example.NET:Pre  ", "a:b:c", "\0x:y"]) == [
        VirtualDomain("example.net", "Pre"),  # keys compare without case, prefixes are kept as written
        VirtualDomain("a", "b:c"),  # the key ends at the first colon
    ]


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("bob@example.net", "example.net"),
        ("VIP@Example.NET", "vip@example.net"),  # the whole address comes before its domain
        ("bob@a.lists.example.net", ".lists.example.net"),
        ("bob@bounce.lists.example.net", "bounce.lists.example.net"),  # exact beats the suffix
        ("bob@lists.example.net", ":"),  # ".lists.example.net" never matches lists.example.net
        ("bob@elsewhere.test", ":"),
    ],
)
def test_lookup_follows_qmail_sends_order(address: str, key: str) -> None:
    entry = lookup(TABLE, address)
    assert entry is not None
    assert (entry.key or ":") == key


def test_the_last_of_repeated_keys_wins_and_no_entry_means_none() -> None:
    assert lookup(parse(["a.test:one", "A.test:two"]), "u@a.test") == VirtualDomain("a.test", "two")
    assert lookup(parse(["a.test:one"]), "u@b.test") is None


def test_check_line_accepts_every_form_and_lowercases_keys() -> None:
    assert check_line("Example.NET:example.net") == "example.net:example.net"
    assert check_line("Bob@Example.NET:bob") == "bob@example.net:bob"
    assert check_line(".example.net:sub") == ".example.net:sub"
    assert check_line(":alias-catchall") == ":alias-catchall"
    assert check_line("example.net:") == "example.net:"


def test_check_line_explains_what_qmail_send_would_do() -> None:
    assert "no colon" in refused("example.net")
    assert "more than one colon" in refused("example.net:a:b")
    assert "space" in refused("example.net: pre")
    assert "never matches" in refused("@example.net:pre")
    assert "prefix" in refused("example.net:a@b")
    assert "underscores" in refused("bad_name.test:x")


def test_the_control_file_is_a_list_checked_line_by_line() -> None:
    assert control.validate("virtualdomains", "Example.net:example.net\n\n:catch\n") == [
        "example.net:example.net",
        ":catch",
    ]
    with pytest.raises(InvalidValue, match="Line 2"):
        control.validate("virtualdomains", "example.net:x\nexample.org\n")
    assert control.SPECS["virtualdomains"].takes_effect is control.TakesEffect.SEND_HUP
