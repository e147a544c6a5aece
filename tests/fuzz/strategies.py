"""Input strategies: arbitrary text, and text near the edges of what qmail accepts.

Pure random text seldom passes a validator, so each field also gets values built from
the pieces that matter to qmail's parsers: digits with trailing junk ("20x"), Unicode
digits and spaces, leading blanks, NULs, line breaks of every kind, '#', ':', '@',
dots, brackets and regex metacharacters.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import strategies as st

EDGY = (
    "0123456789abcxyzABCMX.-_@:[]#*+?^$\\|()/ \t\r\n\0\x0b\x0c\x1c\x1e\x85\xa0\u2028\u3000"
    "\u0663\uff11é\u0130ß"
)
WORDS = (
    "mail", "example", "test", "com", "org", "MX", "localhost", "relay", "25", "587", "2000",
    "0", "120", "65535", "2147483648", "18446744073709551616", "#", "@", ".", ":", "[1.2.3.4]",
    "127.0.0.1", "*", "zen.spamhaus.org", "auth_optional", "auth_required", "no_auth", "tls",
    "xn--bcher-kva", "bücher", "-", "_", "\u0663", "\uff11", " ", "\t", "\n", "\r\n", "\0",
)  # fmt: skip


@cache
def edgy_text(max_size: int = 40) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=max_size),
        st.text(alphabet=EDGY, max_size=max_size),
        st.lists(st.sampled_from(WORDS), max_size=8).map("".join),
        st.from_regex(r"\A[ \t]?[0-9]{1,21}[ \t]?[0-9x\u0663]?\n?\Z"),
        st.from_regex(r"\A[a-zA-Z0-9][a-zA-Z0-9.\-_]{0,30}\Z"),
    )


@cache
def multiline_text() -> st.SearchStrategy[str]:
    line = st.one_of(
        edgy_text(30),
        st.from_regex(r"\A[a-z0-9.]{0,10}@[a-z0-9.\-]{1,20}\Z"),
        st.from_regex(r"\A\.?[a-z0-9.\-]{0,20}:[a-z0-9.\-\[\]]{0,20}(:[0-9a-z]{0,6})?\Z"),
    )
    return st.lists(line, max_size=6).flatmap(
        lambda lines: st.sampled_from(["\n", "\r\n", "\r"]).map(lambda sep: sep.join(lines))
    )


@cache
def json_values() -> st.SearchStrategy[Any]:
    """Anything a JSON body can carry (NaN and infinities too: Python's json reads them)."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(),
        edgy_text(),
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(edgy_text(10), children, max_size=4)
        ),
        max_leaves=8,
    )


def pick(*options: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """One of ``options``, each as likely as the others (st.one_of leans to the most varied one)."""
    return st.integers(0, len(options) - 1).flatmap(lambda index: options[index])


def near(valid: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Valid values, and valid values with edgy text before or after ("2000x", " mail.example")."""
    values = st.sampled_from(valid)
    return pick(
        values,
        st.tuples(values, edgy_text(3)).map("".join),
        st.tuples(edgy_text(3), values).map("".join),
    )


def field_text(valid: tuple[str, ...]) -> st.SearchStrategy[str]:
    """What an admin (or an attacker) may type in a field whose valid values look like ``valid``."""
    return pick(st.sampled_from(valid), near(valid), st.just(""), edgy_text())


# Plausible values of each control file of the MTA page, to mutate.
CONTROL_SAMPLES: dict[str, tuple[str, ...]] = {
    "me": ("mail.example.test", "MX.Example.TEST", "localhost", "a-b.c"),
    "defaultdomain": ("example.test", "Example.test"),
    "bouncefrom": ("MAILER-DAEMON", "postmaster", "bounce.user"),
    "bouncehost": ("example.test", "mx1.example.test"),
    "doublebounceto": ("postmaster", "doublebounce-discard", "admin"),
    "doublebouncehost": ("example.test",),
    "smtpgreeting": ("mail.example.test ready", "mail.example.test"),
    "concurrencyincoming": ("20", "40", "1", "0", "1000"),
    "timeoutsmtpd": ("1200", "60", "0"),
    "databytes": ("0", "2000", "20000000"),
    "concurrencyremote": ("20", "120", "121", "1"),
    "timeoutremote": ("1200", "60"),
    "timeoutconnect": ("60", "75", "76"),
    "queuelifetime": ("604800", "1", "0"),
    "badmailfrom": ("spammer@bad.example.test", "@spam.example.test", "user@Example.Test\n@b.test"),
    "badrcptto": ("user@example.test", "@example.test", "x.y@sub.example.test\n@other.test"),
    "smtproutes": ("example.test:relay.example.test", ".example.test:[192.0.2.1]:2525", ":smart.example.test",
                   "example.test:"),
    "rcpthosts": ("example.test", ".example.test"),
    "locals": ("localhost", "example.test"),
}  # fmt: skip
