"""Names and addresses in control files: host names, mailbox names, badmailfrom, the greeting.

Checked the way qmail compares them (literally, case-insensitively), so an entry
the panel accepts is one that matches what the admin meant.
"""

from __future__ import annotations

import re

from .errors import InvalidValue

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_USER = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def check_hostname(
    value: str, what: str = "The domain", *, need_dot: bool = False, allow_wildcard: bool = False
) -> str:
    """An RFC 1123 host name, lower-cased (qmail compares case-insensitively)."""
    host = value.lower()
    if allow_wildcard and host.startswith(".") and len(host) > 1:
        return "." + check_hostname(host[1:], what)
    shown = f'{what} "{value}"'
    if not host:
        raise InvalidValue(f"{what} is empty.")
    if re.search(r"\s", host):
        raise InvalidValue(f"{shown} contains a space; host names cannot contain spaces.")
    if not host.isascii():
        raise InvalidValue(f"{shown} has non-ASCII letters; enter the xn-- (punycode) form of the name.")
    if host.endswith("."):
        raise InvalidValue(
            f"{shown} ends with a dot; qmail compares names literally, so it would never "
            f'match "{host.rstrip(".")}". Remove the dot.'
        )
    if host.startswith("."):
        raise InvalidValue(
            f"{shown} starts with a dot (a leading dot, meaning every subdomain, is only "
            "allowed in rcpthosts)."
        )
    if ".." in host:
        raise InvalidValue(f"{shown} has two dots in a row.")
    if len(host) > 253:
        raise InvalidValue(f"{shown} is longer than 253 characters.")
    labels = host.split(".")
    for label in labels:
        if not _LABEL.fullmatch(label):
            raise InvalidValue(
                f'{shown}: "{label}" is not valid; each part may only hold letters, digits and '
                "hyphens (no underscores), at most 63 characters, not starting or ending with "
                "a hyphen."
            )
    if labels[-1].isdigit():
        raise InvalidValue(f"{shown} looks like an IP address; enter a host name.")
    if need_dot and len(labels) < 2:
        raise InvalidValue(f"{shown} must be a fully qualified name such as mail.example.com.")
    return host


def check_rcpthost(value: str) -> str:
    """One rcpthosts entry: ``dom`` accepts mail for dom, ``.dom`` for every host ending in .dom.

    qmail-smtpd tries the recipient's domain, then each of its suffixes from a dot on
    (rcpthosts.c), so ``.com`` makes the server accept, and relay, mail for every .com
    domain. An entry must therefore name at least a domain of its own: one dot, or localhost.
    """
    host = check_hostname(value, "The domain", allow_wildcard=True)
    if host.startswith(".") and "." not in host[1:]:
        raise InvalidValue(
            f'"{value}": qmail-smtpd reads a leading dot as "every host ending in {host}", so the server '
            f"would accept and relay mail for every {host} domain in the world. List your own domains, "
            f"e.g. example{host} and .example{host}."
        )
    if "." not in host and host != "localhost":
        raise InvalidValue(
            f'"{value}" has no dot: that is a top-level domain, not one of your domains. Write each domain '
            "in full (example.com; .example.com for its subdomains). Only localhost goes without a dot."
        )
    return host


def _mailbox_problem(local: str) -> str | None:
    if re.search(r"\s", local):
        return "contains a space"
    if len(local) > 64 or not _USER.fullmatch(local):
        return (
            "is not a valid mailbox name: use letters, digits, dots (not at either end or doubled) "
            "and !#$%&'*+/=?^_`{|}~- only, at most 64 characters"
        )
    return None


def check_user(value: str, what: str, host_field: str) -> str:
    """A local part such as MAILER-DAEMON; qmail-send adds "@" and the host itself."""
    if "@" in value:
        raise InvalidValue(
            f'{what} takes only the part before the "@"; qmail adds "@" and the {host_field} itself.'
        )
    if problem := _mailbox_problem(value):
        raise InvalidValue(f'{what} "{value}" {problem}.')
    return value


def split_address(entry: str) -> tuple[str, str]:
    """``user@dom`` or ``@dom`` as (local part, lower-cased domain); "" local = whole domain."""
    if "@" not in entry:
        raise InvalidValue(
            f'"{entry}" is neither an address (user@example.com) nor a whole domain written @example.com.'
        )
    local, domain = entry.rsplit("@", 1)
    if "@" in local:
        raise InvalidValue(f'"{entry}" has more than one "@".')
    if domain.startswith((".", "*")):
        raise InvalidValue(
            f'"{entry}": wildcards are not supported. "@example.com" blocks senders at '
            "example.com itself but not at its subdomains; list each subdomain on its own line."
        )
    if local and (problem := _mailbox_problem(local)):
        raise InvalidValue(f'The part before the "@" in "{entry}" {problem}.')
    return local, check_hostname(domain, f'The domain in "{entry}"')


def check_badmailfrom(entry: str) -> str:
    """qmail-smtpd matches the whole sender exactly, or "@" + its domain; case is ignored."""
    local, domain = split_address(entry)
    return f"{local}@{domain}"


def check_greeting(value: str) -> str:
    """Sent as "220 <text> ESMTP", so the text must start with this server's host name."""
    if any(not " " <= ch <= "~" for ch in value):
        raise InvalidValue(
            "The SMTP greeting may only contain printable ASCII characters (no tabs, no accents)."
        )
    if len(value) > 500:  # RFC 5321 caps a reply line at 512 octets including "220 " and " ESMTP\r\n"
        raise InvalidValue("The SMTP greeting is longer than 500 characters.")
    try:
        check_hostname(value.split(" ", 1)[0], "Its first word", need_dot=True)
    except InvalidValue as exc:
        raise InvalidValue(
            'The greeting is sent as "220 <greeting> ESMTP", so it must start with this server\'s '
            f"host name. {exc}"
        ) from None
    return value
