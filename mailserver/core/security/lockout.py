"""Lock-out after failed logins, per username and per client address.

After LOGIN_FAILURE_LIMIT failures for one username (LOGIN_FAILURE_LIMIT_PER_ADDRESS from one
address) within LOGIN_LOCKOUT, that username (address) is locked for LOGIN_LOCKOUT: no password
or code is even checked. The address limit is higher because several admins may share one
(NAT, a VPN); it stops one client from trying many usernames. IPv6 clients are counted per /64,
the block a single host can usually choose addresses from.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from .models import LoginThrottle

log = logging.getLogger(__name__)


def _lockout() -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


@dataclass(frozen=True)
class Lock:
    until: datetime

    @property
    def message(self) -> str:
        minutes = max(1, -(-int((self.until - timezone.now()).total_seconds()) // 60))
        until = timezone.localtime(self.until).strftime("%H:%M %Z")  # the panel's zone, named
        return (
            "Too many failed logins for this account or from your address: logging in is locked "
            f"for {minutes} more minute{'s' if minutes != 1 else ''} (until {until}). Ask another "
            "administrator if you need in sooner."
        )


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address: REMOTE_ADDR, or the last entry of the header the TLS proxy sets.

    Only the proxy's own entry (the last one) is trusted; earlier ones come from the client.
    """
    if request is None:
        return None
    raw = request.META.get("REMOTE_ADDR", "")
    header = settings.CLIENT_IP_HEADER
    if header:
        forwarded = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        raw = forwarded.split(",")[-1].strip() or raw
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _username_key(username: str | None) -> str | None:
    # Case-folded: a database that compares usernames without case must not give five more tries per spelling.
    return username.casefold()[:150] if username else None


def _keys(username: str | None, address: str | None) -> list[tuple[str, str, int]]:
    keys = []
    if (name := _username_key(username)) is not None:
        keys.append((LoginThrottle.USERNAME, name, settings.LOGIN_FAILURE_LIMIT))
    if address is not None:
        keys.append((LoginThrottle.ADDRESS, address, settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS))
    return keys


def lock_for(username: str | None, address: str | None) -> Lock | None:
    """The lock that applies to this username or address now, if any (the later of the two)."""
    now = timezone.now()
    query = Q()
    for kind, key, _ in _keys(username, address):
        query |= Q(kind=kind, key=key)
    if not query:
        return None
    until = (
        LoginThrottle.objects.filter(query, locked_until__gt=now)
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    return Lock(until) if until else None


def record_failure(username: str | None, address: str | None) -> Lock | None:
    """Count a failed password or code; returns the lock if this failure reached a limit."""
    now = timezone.now()
    lockout = _lockout()
    locked: Lock | None = None
    with transaction.atomic():
        for kind, key, limit in _keys(username, address):
            row, _ = LoginThrottle.objects.select_for_update().get_or_create(
                kind=kind, key=key, defaults={"window_start": now}
            )
            if row.window_start <= now - lockout:
                row.failures, row.window_start = 0, now
            row.failures += 1
            if row.failures >= limit:
                row.locked_until = now + lockout
                row.failures, row.window_start = 0, now
                locked = Lock(row.locked_until)
                log.warning("login locked for %s %s until %s", kind, key, row.locked_until.isoformat())
            row.save()
        # Forget keys whose window and lock are over (bounded table, nothing stale kept).
        LoginThrottle.objects.filter(window_start__lte=now - lockout).filter(
            Q(locked_until__isnull=True) | Q(locked_until__lte=now)
        ).delete()
    return locked


def clear_username(username: str) -> None:
    """A complete login (password and, if enrolled, code) forgives that username's failures.

    The address's count is kept: one valid account must not reset a client's guessing elsewhere.
    """
    LoginThrottle.objects.filter(kind=LoginThrottle.USERNAME, key=_username_key(username)).delete()
