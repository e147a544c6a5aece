"""The settings of a qmail-smtpd run script, and the one validator for them.

The Django forms and the root agent both call :func:`validate_smtpd` (or the
``check_*`` helpers for a single field), so a value the page accepts is a value
the agent will write, and a value written by hand is judged by the same rules.
Every value ends up in a shell script, so each check is also a whitelist of
characters that need no quoting tricks.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import FieldError, InvalidValue
from .paths import Roots
from .smtpauth import DEFAULT_AUTH_MODE, DEFAULT_CHECKPASSWORD, AuthMode, check_auth_policy, parse_auth_mode

SUBMISSION_PORT = 587

# qmail-smtpd, tcpserver and rblsmtpd are single-threaded, so softlimit -m (which
# also caps the stack at N) does not hit the threaded-daemon pitfall; the floor
# is there because a 64-bit qmail-smtpd with TLS needs address space in the tens
# of MB and fails with "qq temporary problem" or broken TLS below it.
SOFTLIMIT_MIN = 10_000_000
SOFTLIMIT_MAX = 1_000_000_000  # beyond this the limit no longer protects the host
T = TypeVar("T")

DEFAULT_SOFTLIMIT = 20_000_000
MAX_RBL_ZONES = 8  # each zone is one DNS lookup before the greeting

# Always fullmatch: with match(), "$" also matches before a final newline ("zen.example\n").
_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_PATH = re.compile(r"(?:/[A-Za-z0-9_.+-]+)+")


@dataclass(frozen=True, kw_only=True)
class SmtpdParams:
    """One tcpserver + qmail-smtpd service (primary on 25 or alternate/submission)."""

    tcprules_cdb: str  # e.g. /etc/tcp.smtp.cdb; build it with Roots.rules()
    port: int = 25
    bind: str = "0"  # tcpserver's "0" = every local address
    softlimit: int = DEFAULT_SOFTLIMIT
    user: str = "qmaild"  # uid/gid looked up with id(1) each time the service starts
    rbl_zones: tuple[str, ...] = ()  # rblsmtpd -r ZONE each, in this order
    auth_mode: AuthMode = DEFAULT_AUTH_MODE
    require_auth: bool = False
    force_tls: bool = False
    checkpassword: str = DEFAULT_CHECKPASSWORD

    @classmethod
    def primary(cls, roots: Roots) -> SmtpdParams:
        """Port 25: receives the world's mail, so AUTH and TLS stay optional."""
        return cls(tcprules_cdb=str(roots.rules("smtp")[1]))

    @classmethod
    def submission(cls, roots: Roots, *, port: int = SUBMISSION_PORT, force_tls: bool = True) -> SmtpdParams:
        """The alternate server: own cdb, AUTH required, no RBL (users send from dynamic IPs)."""
        return cls(
            tcprules_cdb=str(roots.rules("submission")[1]),
            port=port,
            require_auth=True,
            force_tls=force_tls,
        )


def check_port(value: int | str) -> int:
    # ASCII digits only: str.isdigit() also takes "²" (which int() refuses) and "٢٥" (read as 25).
    text = value if isinstance(value, str) else ""
    if isinstance(value, bool) or not (isinstance(value, int) or re.fullmatch(r"[0-9]{1,5}", text)):
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise InvalidValue(
            f"Port {shown if isinstance(value, str) else value!r} is not a number from 1 to 65535."
        )
    port = int(value)
    if not 1 <= port <= 65535:
        raise InvalidValue(f"Port {port} is out of range; use 1 to 65535.")
    return port


def check_bind(value: str) -> str:
    """'0' or one IPv4 address: ucspi-tcp 0.88 listens on IPv4 only, and a host
    name would make the service depend on DNS at start."""
    if value == "0":
        return value
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise InvalidValue(
            f"Bind address {value!r} is not an IPv4 address; use 0 to listen on every address."
        ) from None
    return value


def check_softlimit(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"Memory limit {value!r} is not a whole number of bytes.")
    if not SOFTLIMIT_MIN <= value <= SOFTLIMIT_MAX:
        raise InvalidValue(
            f"Memory limit {value} bytes is out of range; use {SOFTLIMIT_MIN} to {SOFTLIMIT_MAX} "
            "(too low shows up as 'qq temporary problem' or broken TLS)."
        )
    return value


def check_user(value: str) -> str:
    if not _USER.fullmatch(value):
        raise InvalidValue(f"User name {value!r} is not a valid system user name.")
    return value


def check_rbl_zone(value: str) -> str:
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidValue(f"RBL zone {value!r} is not a DNS name such as zen.spamhaus.org.")
    return value


def check_rbl_zones(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    zones = tuple(check_rbl_zone(v) for v in values)
    if len(zones) > MAX_RBL_ZONES:
        raise InvalidValue(f"At most {MAX_RBL_ZONES} RBL zones: each one delays every connection.")
    if len({z.lower() for z in zones}) != len(zones):
        raise InvalidValue("An RBL zone is listed twice.")
    return zones


def check_path(value: str, what: str) -> str:
    """An absolute path of plain characters, with no '.' or '..' steps."""
    parts = value.split("/")[1:]
    if len(value) > 255 or not _PATH.fullmatch(value) or any(p in (".", "..") for p in parts):
        raise InvalidValue(f"{what} {value!r} must be an absolute path of letters, digits and ._+-")
    return value


def _checked(field: str, check: Callable[..., T], *args: Any) -> T:
    """``check(*args)``, its refusal attributed to ``field``."""
    try:
        return check(*args)
    except FieldError:
        raise
    except InvalidValue as exc:
        raise FieldError(field, str(exc)) from None


def validate_smtpd(params: SmtpdParams, roots: Roots | None = None) -> SmtpdParams:
    """Check every field and the combinations; returns params unchanged or raises FieldError.

    The error names the setting it is about (a combination: the switch that breaks it),
    so the form and the agent show it beside the same field. With ``roots`` (the agent)
    the cdb must also lie in the tcprules directory.
    """
    port = _checked("port", check_port, params.port)
    _checked("bind", check_bind, params.bind)
    _checked("softlimit", check_softlimit, params.softlimit)
    _checked("user", check_user, params.user)
    zones = _checked("rbl_zones", check_rbl_zones, params.rbl_zones)
    mode = _checked("auth_mode", parse_auth_mode, params.auth_mode)
    _checked("checkpassword", check_path, params.checkpassword, "Checkpassword program")
    cdb = _checked("tcprules_cdb", check_path, params.tcprules_cdb, "tcprules database")
    if not cdb.endswith(".cdb"):
        raise FieldError(
            "tcprules_cdb", f"tcprules database {cdb!r} must end in .cdb (tcprules' compiled form)."
        )
    if roots is not None and cdb.rsplit("/", 1)[0] != str(roots.tcprules):
        raise FieldError("tcprules_cdb", f"tcprules database {cdb!r} must be in {roots.tcprules}.")
    check_auth_policy(port, mode, require_auth=params.require_auth, force_tls=params.force_tls)
    if zones and params.require_auth:
        # rblsmtpd answers before AUTH, so it would lock out the server's own users
        # sending from listed dynamic addresses; that is why submission has no RBL.
        raise FieldError(
            "rbl_zones",
            "A server that requires SMTP-AUTH must not use RBL zones: they would block your own users.",
        )
    return params
