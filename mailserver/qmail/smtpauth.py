"""SMTP-AUTH / TLS modes of qmail-smtpd, as InterWorx names them.

Stock qmail has neither AUTH nor STARTTLS; the panel targets the jms1 combined
patch, where AUTH is switched on by *arguments* (``qmail-smtpd HOSTNAME
CHECKPROG SUBPROG``) and everything else by environment switches that count as
on when their value is above 0 (DENY_TLS, ALLOW_INSECURE_AUTH, REQUIRE_AUTH,
FORCE_TLS). This module holds that mapping and the rules that keep a port-25
server able to receive mail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

from .errors import FieldError, InvalidValue

# vpopmail's checkpassword program; the subprogram /bin/true just says "ok"
# because qmail-smtpd itself carries on after a successful check.
DEFAULT_CHECKPASSWORD = "/home/vpopmail/bin/vchkpw"
CHECKPASSWORD_SUBPROGRAM = "/bin/true"

# Every environment switch a mode can turn on. A run script unsets the ones it
# does not want, so a value inherited from svscan cannot switch one on.
SWITCHES: tuple[str, ...] = ("DENY_TLS", "ALLOW_INSECURE_AUTH", "REQUIRE_AUTH", "FORCE_TLS")

SMTP_PORT = 25

# The guide's own words: AUTH may be optional on 25 but never required.
_PORT25_AUTH = (
    "SMTP-AUTH can be made optional, but must not be required on port 25, or the server "
    "would be unable to receive mail from other mail servers. Require it on the alternate "
    "(submission) server instead."
)
# RFC 3207 section 4: a publicly referenced SMTP server must not require TLS.
_PORT25_TLS = (
    "TLS must not be required on port 25: many mail servers deliver without STARTTLS and "
    "their mail would be refused. Require TLS on the alternate (submission) server instead."
)


class AuthMode(StrEnum):
    """The ``auth_mode`` values of the InterWorx API (nodeworx-mail-smtp)."""

    NONE = "auth_no/tls_no"
    TLS_ONLY = "auth_no/tls_optional"
    AUTH_NO_TLS = "auth_optional/tls_no"
    AUTH_AFTER_TLS = "auth_withtls/tls_optional"
    AUTH_AND_TLS = "auth_optional/tls_optional"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def offers_auth(self) -> bool:
        return not self.value.startswith("auth_no/")

    @property
    def offers_tls(self) -> bool:
        return not self.value.endswith("/tls_no")


DEFAULT_AUTH_MODE = AuthMode.AUTH_AND_TLS

_LABELS: dict[AuthMode, str] = {
    AuthMode.NONE: "No SMTP-AUTH, no TLS",
    AuthMode.TLS_ONLY: "No SMTP-AUTH, optional TLS",
    AuthMode.AUTH_NO_TLS: "Optional SMTP-AUTH, no TLS (passwords travel in clear text)",
    AuthMode.AUTH_AFTER_TLS: "Optional SMTP-AUTH, only after STARTTLS; optional TLS",
    AuthMode.AUTH_AND_TLS: "Optional SMTP-AUTH, optional TLS (default)",
}

# (value, label) pairs in the order the page lists them; fits a Django ChoiceField.
AUTH_MODE_CHOICES: tuple[tuple[str, str], ...] = tuple((m.value, m.label) for m in AuthMode)

# The facts table: which switches each mode turns on besides the AUTH arguments.
# "tls_optional" needs nothing but a readable control/servercert.pem.
_MODE_SWITCHES: dict[AuthMode, frozenset[str]] = {
    AuthMode.NONE: frozenset({"DENY_TLS"}),
    AuthMode.TLS_ONLY: frozenset(),
    AuthMode.AUTH_NO_TLS: frozenset({"DENY_TLS", "ALLOW_INSECURE_AUTH"}),
    AuthMode.AUTH_AFTER_TLS: frozenset(),
    AuthMode.AUTH_AND_TLS: frozenset({"ALLOW_INSECURE_AUTH"}),
}


def parse_auth_mode(value: str) -> AuthMode:
    """The mode for an API/form value; refuses "required" modes with the reason."""
    if "required" in value:
        raise InvalidValue(
            f"Authentication mode {value!r} is not offered: {_PORT25_AUTH}"
            if value.startswith("auth_required")
            else f"Authentication mode {value!r} is not offered: {_PORT25_TLS}"
        )
    try:
        return AuthMode(value)
    except ValueError:
        known = ", ".join(m.value for m in AuthMode)
        raise InvalidValue(f"Unknown authentication mode {value!r}; choose one of {known}.") from None


def smtpd_arguments(mode: AuthMode, hostname: str, checkpassword: str) -> tuple[str, ...]:
    """The arguments after ``qmail-smtpd``: none when AUTH is off."""
    if not mode.offers_auth:
        return ()
    return (hostname, checkpassword, CHECKPASSWORD_SUBPROGRAM)


def smtpd_environment(
    mode: AuthMode, *, require_auth: bool = False, force_tls: bool = False
) -> dict[str, str]:
    """The switches to set to "1"; every other name in SWITCHES must be unset."""
    on = set(_MODE_SWITCHES[mode])
    if require_auth:
        on.add("REQUIRE_AUTH")
    if force_tls:
        on.add("FORCE_TLS")
    return {name: "1" for name in SWITCHES if name in on}


def switch_on(env: Mapping[str, str], name: str) -> bool:
    """Whether jms1 qmail-smtpd would take the switch as on: a value above 0."""
    digits = env.get(name, "").strip()
    return re.fullmatch(r"[0-9]{1,15}", digits) is not None and int(digits) > 0


def mode_from_smtpd(has_auth_arguments: bool, env: Mapping[str, str]) -> AuthMode:
    """Best guess at the mode of a script written by hand (reverse of the table)."""

    def on(name: str) -> bool:
        return switch_on(env, name)

    if not has_auth_arguments:
        return AuthMode.NONE if on("DENY_TLS") else AuthMode.TLS_ONLY
    if on("DENY_TLS"):
        return AuthMode.AUTH_NO_TLS
    return AuthMode.AUTH_AND_TLS if on("ALLOW_INSECURE_AUTH") else AuthMode.AUTH_AFTER_TLS


def check_auth_policy(port: int, mode: AuthMode, *, require_auth: bool, force_tls: bool) -> None:
    """Refuse combinations that stop mail: required AUTH/TLS on 25, or switches that clash.

    The error names the switch that breaks the combination.
    """
    if port == SMTP_PORT and require_auth:
        raise FieldError("require_auth", _PORT25_AUTH)
    if port == SMTP_PORT and force_tls:
        raise FieldError("force_tls", _PORT25_TLS)
    if require_auth and not mode.offers_auth:
        # jms1 answers 421 to every client when REQUIRE_AUTH has no AUTH backend.
        raise FieldError(
            "auth_mode",
            f"Requiring SMTP-AUTH needs a mode that offers it; {mode.label!r} does not "
            "(qmail-smtpd would turn every client away).",
        )
    if force_tls and not mode.offers_tls:
        # FORCE_TLS together with DENY_TLS makes jms1 refuse every connection.
        raise FieldError(
            "auth_mode",
            f"Requiring TLS needs a mode that offers it; {mode.label!r} does not "
            "(qmail-smtpd would turn every client away).",
        )
