"""control/smtproutes: parsed, validated and looked up exactly as qmail-remote does.

Each line is ``domain:relay[:port]``; the key ends at the first colon (constmap),
the relay at the next one. qmail-remote tries the recipient domain itself, then
each ``.suffix`` from longest to shortest, then the ``""`` catch-all, and takes
the first hit; when a key is repeated the last line wins. An empty relay means
"look up MX records as usual". No DNS is done here: lookups only say which line
applies and where qmail-remote would connect.

``check_line`` is control/smtproutes' entry check in ``specs``; the whole file is validated
like every list file, by ``control.validate("smtproutes", text)``. This module imports
neither, so the dependency runs one way: control → specs → smtproutes.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .addresses import check_hostname
from .errors import InvalidValue

SMTP_PORT = 25


@dataclass(frozen=True)
class Route:
    line: int
    domain: str  # the key: "ex.com" exactly, ".ex.com" any subdomain, "" every other domain
    relay: str | None  # None for "dom:" (MX lookup as usual); "" for the broken "dom::2525"
    port: int | None  # None = 25

    @property
    def text(self) -> str:
        port = "" if self.port is None else f":{self.port}"
        return f"{self.domain}:{self.relay or ''}{port}"


@dataclass(frozen=True)
class RouteDecision:
    domain: str  # the recipient domain that was looked up (lower-case)
    key: str | None  # the matching route's key, None when no line applies
    line: int | None
    relay: str | None  # None = qmail-remote looks up the MX records of ``domain``
    port: int
    explanation: str
    broken: bool = False  # the matching line makes every delivery fail
    # Set by delivery.decide when qmail-send delivers locally and no route applies at all:
    # "control/locals" or "virtualdomains → PREFIX".
    local: str = ""
    # The IP address qmail-remote connects to straight away when, with no relay to use, the domain is
    # itself an address ("1.2.3.4" or "[1.2.3.4]": dns_mxip takes it as it is, no MX lookup).
    direct: str | None = None


def _wrap(digits: str, modulus: int) -> int:
    # scan_ulong's running value, reduced as the C variable it is stored in would reduce it.
    value = 0
    for digit in digits:
        value = (value * 10 + ord(digit) - 48) % modulus
    return value


def _scan_port(text: str) -> int:
    # scan_ulong takes the leading digits (none = 0); timeoutconn keeps the low 16 bits.
    lead = re.match(r"[0-9]+", text)
    return _wrap(lead.group(), 65536) if lead else 0


def dotted_quad(text: str) -> str | None:
    """``1.2.3.4`` or ``[1.2.3.4]`` as qmail's ip_scan reads it (each number wraps at 256); else None."""
    inner = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    if not re.fullmatch(r"[0-9]+(\.[0-9]+){3}", inner):
        return None
    return ".".join(str(_wrap(part, 256)) for part in inner.split("."))


def parse(text: str) -> list[Route]:
    """Every route qmail-remote loads, read the way it reads them (no judgement; see ``validate``)."""
    routes = []
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip(" \t")
        key, colon, rest = line.partition(":")
        if not line or line[0] in "#\0" or not colon:  # constmap skips lines without a colon
            continue
        relay, colon2, port = rest.partition(":")
        if not rest:
            routes.append(Route(number, key, None, None))
        else:
            routes.append(Route(number, key, relay, _scan_port(port) if colon2 else None))
    return routes


def _check_relay(relay: str) -> str:
    if quad := dotted_quad(relay):
        inner = relay.strip("[]")
        if any(len(part) > 3 or int(part) > 255 for part in inner.split(".")):
            raise InvalidValue(f'"{relay}" is not an IPv4 address: each number must be 0 to 255.')
        return f"[{quad}]" if relay.startswith("[") else quad
    if relay.startswith("[") or re.fullmatch(r"[0-9.]+", relay):
        raise InvalidValue(
            f'The relay "{relay}" is neither a host name nor an IPv4 address such as 192.0.2.1 '
            "or [192.0.2.1]."
        )
    return check_hostname(relay, "The relay")


def check_line(line: str) -> str:
    """One route, normalised (lower case); InvalidValue explains what qmail-remote would do wrong."""
    if re.search(r"\s", line):
        raise InvalidValue(
            f'"{line.strip()}" contains a space; qmail-remote would take it as part of the '
            "domain or relay. Write domain:relay without spaces."
        )
    key, colon, rest = line.partition(":")
    if not colon:
        raise InvalidValue(
            f'"{line}" has no colon, so qmail-remote ignores it. Write domain:relay, or domain: '
            "for a normal MX lookup."
        )
    if "@" in key:
        raise InvalidValue(
            f'Routes are per domain: "{key}" would never match. Use only the part after the "@".'
        )
    key = check_hostname(key, "The domain", allow_wildcard=True) if key else ""
    if not rest:
        return f"{key}:"
    relay, colon2, port_text = rest.partition(":")
    if not relay:
        raise InvalidValue(
            f'"{line}" has an empty relay before the port: qmail-remote would look up an empty '
            f'host name and every delivery would fail. Write "{key}:relay.example.com'
            f'{colon2}{port_text}", or "{key}:" for a normal MX lookup.'
        )
    if (relay.startswith("[") and not relay.endswith("]") and colon2) or (
        ":" in port_text and re.fullmatch(r"[0-9A-Fa-f:.\[\]]+", rest)
    ):
        raise InvalidValue(
            f'"{rest}" looks like an IPv6 address; qmail-remote only connects over IPv4. Use an '
            "IPv4 address or a host name with an A record."
        )
    relay = _check_relay(relay.lower())
    if not colon2:
        return f"{key}:{relay}"
    if not port_text:
        raise InvalidValue(
            f'"{line}" ends with a colon but no port; qmail-remote would connect to port 0. '
            "Remove the colon to use port 25."
        )
    if not re.fullmatch(r"[0-9]{1,5}", port_text) or not 1 <= int(port_text) <= 65535:
        raise InvalidValue(
            f'The port "{port_text}" must be a number from 1 to 65535; qmail-remote would '
            f"connect to port {_scan_port(port_text)}."
        )
    return f"{key}:{relay}:{int(port_text)}"


def _describe(key: str) -> str:
    if not key:
        return "every other domain (the catch-all)"
    return f"every subdomain of {key[1:]}" if key.startswith(".") else key


def warnings_for(routes: Iterable[Route]) -> list[str]:
    """Repeated keys: not an error for qmail (the last line wins) but rarely what the admin meant."""
    first: dict[str, Route] = {}
    found = []
    for route in routes:
        key = route.domain.lower()
        if key in first:
            found.append(
                f"Line {route.line} repeats the route for {_describe(key)} (also on line "
                f"{first[key].line}); qmail-remote uses only the last of these lines."
            )
        else:
            first[key] = route
    return found


def _candidates(domain: str) -> Iterator[str]:
    # qmail-remote's loop: the domain itself, each ".suffix" longest first, then "".
    for i in range(len(domain) + 1):
        if i == 0 or i == len(domain) or domain[i] == ".":
            yield domain[i:]


def lookup(routes: Iterable[Route], address: str) -> RouteDecision:
    """Which line qmail-remote uses for ``address`` (or a bare domain) and where it connects."""
    domain = address.rpartition("@")[2].lower()
    table = {route.domain.lower(): route for route in routes}  # later lines replace earlier: last wins
    route = next((table[key] for key in _candidates(domain) if key in table), None)
    direct = dotted_quad(domain)
    if direct is not None:
        mx = (
            f"{domain} is an IP address, so qmail-remote connects to {direct} port {SMTP_PORT} directly, "
            "with no MX lookup (if it is one of this server's own addresses, the message bounces)"
        )
    else:
        mx = f"qmail-remote looks up the MX records of {domain} as usual"
    if route is None:
        return RouteDecision(
            domain, None, None, None, SMTP_PORT, f"No route matches {domain}, so {mx}.", direct=direct
        )
    key = route.domain.lower()
    if key == domain:
        why = f'Line {route.line} "{route.text}" routes {domain} itself'
    elif key:
        why = f'Line {route.line} "{route.text}" matches because {domain} ends in {key}'
    else:
        why = f'No line names {domain}, so the catch-all line {route.line} "{route.text}" applies'
    if route.relay is None:
        return RouteDecision(
            domain, key, route.line, None, SMTP_PORT, f"{why}; its relay is empty, so {mx}.", direct=direct
        )
    port = SMTP_PORT if route.port is None else route.port
    if not route.relay:
        return RouteDecision(
            domain,
            key,
            route.line,
            "",
            port,
            f"{why}, but its relay is empty: qmail-remote "
            "looks up an empty host name and the delivery fails.",
            broken=True,
        )
    target = f"{route.relay} port {port}" + ("" if dotted_quad(route.relay) else " (A record, no MX lookup)")
    return RouteDecision(
        domain, key, route.line, route.relay, port, f"{why}: qmail-remote connects to {target}."
    )


def points_back(
    decision: RouteDecision,
    local_names: Iterable[str],
    local_addresses: Iterable[str],
    smtp_ports: Iterable[int],
) -> bool:
    """True when the route sends mail straight back to this server's own SMTP service (a mail loop).

    With a relay, qmail-remote skips its "I'm listed as my own MX" check, so such
    loops go unnoticed until the Received: hop limit bounces the message.
    """
    relay = decision.relay
    if not relay or decision.port not in set(smtp_ports):
        return False
    quad = dotted_quad(relay)
    if quad is None:
        mine = {name.lower().rstrip(".") for name in local_names} | {"localhost"}
        return relay.lower().rstrip(".") in mine
    address = ipaddress.IPv4Address(quad)
    ours = set()
    for text in local_addresses:
        try:
            ours.add(ipaddress.ip_address(text))
        except ValueError:
            continue
    # 127/8 is always this host; connecting to 0.0.0.0 also reaches the local machine on Linux.
    return address.is_loopback or address.is_unspecified or address in ours
