"""Where qmail sends a recipient: delivered on this server, or by qmail-remote over a route.

qmail-send decides first (qmail-send.c ``rewrite``): a domain listed in control/locals
is local; otherwise control/virtualdomains may make the address local under a prefix.
Only what is left goes to qmail-remote, the one program that reads control/smtproutes,
so a route, even the catch-all, never applies to a local domain.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from . import virtualdomains
from .smtproutes import SMTP_PORT, Route, RouteDecision, lookup


def _entries(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def local_domains(values: Mapping[str, object]) -> list[str]:
    """control/locals as qmail-send loads it: without the file, the value of control/me."""
    listed = values.get("locals")
    if listed is None:
        me = values.get("me")
        return [me.lower()] if isinstance(me, str) and me else []
    return [domain.lower() for domain in _entries(listed)]


def decide(routes: Iterable[Route], address: str, values: Mapping[str, object]) -> RouteDecision:
    """What happens to mail for ``address``: local delivery, or the route qmail-remote takes.

    ``values`` maps control file names to their values as qmail reads them (``control.read_value``),
    None for a missing file; locals, me and virtualdomains are used.
    """
    address = address.strip()
    domain = address.rpartition("@")[2].lower()
    not_read = "qmail-remote, and with it control/smtproutes, is never involved."
    if domain in local_domains(values):
        why = "" if values.get("locals") is not None else " (no control/locals: it holds control/me)"
        return RouteDecision(
            domain, None, None, None, SMTP_PORT,
            f"{domain} is a local domain in control/locals{why}, so qmail-send delivers {address} on "
            f"this server, to the local user or alias named before the @; {not_read}",
            local="control/locals",
        )  # fmt: skip
    entry = virtualdomains.lookup(virtualdomains.parse(_entries(values.get("virtualdomains"))), address)
    if entry is not None and entry.prefix:
        rewritten = f"{entry.prefix}-{address}"
        return RouteDecision(
            domain, None, None, None, SMTP_PORT,
            f'control/virtualdomains maps {entry.describe()} to "{entry.prefix}", so qmail-send '
            f"delivers the message on this server as {rewritten}; {not_read}",
            local=f"virtualdomains → {entry.prefix}",
        )  # fmt: skip
    decision = lookup(routes, address)
    if entry is not None:  # "key:" is an exception from a wider virtual domain
        return dataclasses.replace(
            decision,
            explanation=f'control/virtualdomains has "{entry.text}", an exception with no prefix, so the '
            f"message goes to qmail-remote. {decision.explanation}",
        )
    return decision
