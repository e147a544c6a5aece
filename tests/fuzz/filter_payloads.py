"""Payload strategies for the MDA, Spam and Virus operations (registered in PAYLOADS of the payload fuzz).

The real keys with edgy values: scores in and out of SpamAssassin's syntax, address and network
lists with comments, spaces and brackets, raw directives that load code or name files, memory
limits around each server's floor, services that are not the page's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from mailserver.qmail.paths import Roots
from tests.fuzz.strategies import edgy_text, field_text, json_values, multiline_text, pick

SERVICES = ("spamd", "clamd", "freshclam", "qmail-pop3d", "courier-imapd-ssl", "qmail-smtpd", "../etc", "")
MDA = ("qmail-pop3d", "qmail-pop3d-ssl", "courier-imapd", "courier-imapd-ssl", "spamd")
SCORES = ("5", "6.5", "+3", "0", "-1", "1e3", "5,5", "1001", " 7 ")
ADDRESSES = ("boss@example.com\n*@x.org", "example.com", "a b@c", "x#y@z", "@x", "\\@x", "é@x.org")
NETWORKS = ("10.0.0.0/8\n!10.0.1.5", "192.168.", "300.1.2.3", "0.0.0.0/0", "10/255.0.0.0", "::1", "[::1]/129")
ADVANCED = (
    "score NWX 2",
    "loadplugin Evil /tmp/e.pm",
    "include /etc/shadow",
    "required_score 1",
    "bayes_path /tmp/b",
    "header X Subject =~ /(/",
    "lang de include /etc/passwd",
)


def junk_or(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return pick(strategy, strategy, json_values())


def _sha() -> st.SearchStrategy[Any]:
    return pick(st.none(), edgy_text(64), json_values())


def _spam_settings() -> st.SearchStrategy[Any]:
    flag = junk_or(st.booleans())
    return junk_or(
        st.fixed_dictionaries(
            {},
            optional={
                "required_score": junk_or(field_text(SCORES)),
                "rewrite_subject": junk_or(
                    pick(field_text(("*****SPAM*****", "[SPAM #]")), multiline_text())
                ),
                "report_safe": junk_or(pick(st.integers(-1, 3), field_text(("0", "1", "2", "7")))),
                "auto_whitelist": flag,
                "whitelist": junk_or(pick(field_text(ADDRESSES), multiline_text())),
                "blacklist": junk_or(field_text(ADDRESSES)),
                "trusted_networks": junk_or(pick(field_text(NETWORKS), st.lists(edgy_text(20), max_size=3))),
                "bayes_auto_learn": flag,
                "bayes_global": flag,
                "advanced": junk_or(pick(field_text(ADVANCED), multiline_text())),
                "colour": json_values(),
            },
        )
    )


def _spam_write(data: st.DataObject, roots: Roots) -> Any:
    optional = {"settings": _spam_settings(), "expect": _sha(), "replace_hand_edit": junk_or(st.booleans())}
    return data.draw(st.fixed_dictionaries({}, optional=optional))


def _mda_write(data: st.DataObject, roots: Roots) -> Any:
    limits = pick(st.integers(-1, 3 * 1024**3), field_text(("32000000", "64M", "1e9", "")), json_values())
    settings = junk_or(
        st.fixed_dictionaries(
            {},
            optional={
                "memory_limit": limits,
                "connections": junk_or(st.integers(-1, 2000)),
                "port": json_values(),
            },
        )
    )
    expect = junk_or(st.dictionaries(field_text(("run", "imapd", "imapd-ssl", "passwd")), _sha(), max_size=3))
    optional = {
        "service": junk_or(field_text(MDA)),
        "settings": settings,
        "expect": expect,
        "replace_hand_edit": junk_or(st.booleans()),
    }
    return data.draw(st.fixed_dictionaries({}, optional=optional))


def _simscan(data: st.DataObject, roots: Roots) -> Any:
    optional = {
        "spam": junk_or(st.booleans()),
        "clam": junk_or(st.booleans()),
        "spam_hits": junk_or(field_text(("10", "8.5", "8x", "0", "-2", ""))),
        "expect": junk_or(st.dictionaries(field_text(("simcontrol", "rules")), _sha(), max_size=2)),
        "virus": json_values(),
    }
    return data.draw(st.fixed_dictionaries({}, optional=optional))


def _service(data: st.DataObject, roots: Roots) -> Any:
    optional = {"service": junk_or(field_text(SERVICES)), "enabled": junk_or(st.booleans())}
    return data.draw(st.fixed_dictionaries({}, optional=optional))


def _training(data: st.DataObject, roots: Roots) -> Any:
    optional = {
        "enabled": junk_or(st.booleans()),
        "learn_limit": junk_or(pick(st.integers(-1, 20000), field_text(("50", "²", "5x")))),
        "expect": _sha(),
    }
    return data.draw(st.fixed_dictionaries({}, optional=optional))


def _anything(data: st.DataObject, roots: Roots) -> Any:
    return data.draw(st.dictionaries(edgy_text(10), json_values(), max_size=4))


PAYLOADS: dict[str, Callable[[st.DataObject, Roots], Any]] = {
    "service.auto_restart": _service,
    "service.setup": _service,
    "mda.read_state": _anything,
    "mda.write": _mda_write,
    "spam.read_state": _anything,
    "spam.check": _spam_write,
    "spam.write": _spam_write,
    "spam.write_training": _training,
    "spam.train_now": _anything,
    "spam.scan_gtube": _anything,
    "simscan.write": _simscan,
    "virus.read_state": _anything,
    "virus.scan_eicar": _anything,
    "mail.alerts": _anything,
}
