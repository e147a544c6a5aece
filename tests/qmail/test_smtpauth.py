"""AUTH/TLS modes: the InterWorx values, the jms1 mapping and the port-25 rules."""

from __future__ import annotations

import pytest

from mailserver.qmail.errors import InvalidValue
from mailserver.qmail.smtpauth import (
    AUTH_MODE_CHOICES,
    CHECKPASSWORD_SUBPROGRAM,
    DEFAULT_AUTH_MODE,
    DEFAULT_CHECKPASSWORD,
    AuthMode,
    check_auth_policy,
    mode_from_smtpd,
    parse_auth_mode,
    smtpd_arguments,
    smtpd_environment,
)

VCHKPW = DEFAULT_CHECKPASSWORD
AUTH_ARGS = ("mail.example.test", VCHKPW, "/bin/true")

# The facts table (mailserver-facts.md section 5), row by row.
TABLE = [
    ("auth_no/tls_no", (), {"DENY_TLS": "1"}),
    ("auth_no/tls_optional", (), {}),
    ("auth_optional/tls_no", AUTH_ARGS, {"DENY_TLS": "1", "ALLOW_INSECURE_AUTH": "1"}),
    ("auth_withtls/tls_optional", AUTH_ARGS, {}),
    ("auth_optional/tls_optional", AUTH_ARGS, {"ALLOW_INSECURE_AUTH": "1"}),
]


def test_the_default_is_optional_auth_with_optional_tls() -> None:
    assert DEFAULT_AUTH_MODE is AuthMode.AUTH_AND_TLS
    assert DEFAULT_AUTH_MODE.value == "auth_optional/tls_optional"


def test_offers_exactly_the_five_interworx_api_values_with_labels() -> None:
    assert [value for value, _ in AUTH_MODE_CHOICES] == [row[0] for row in TABLE]
    labels = [label for _, label in AUTH_MODE_CHOICES]
    assert all(labels) and len(set(labels)) == len(labels)
    assert "(default)" in AuthMode.AUTH_AND_TLS.label


@pytest.mark.parametrize(("value", "args", "env"), TABLE)
def test_maps_each_mode_to_jms1_arguments_and_switches(
    value: str, args: tuple[str, ...], env: dict[str, str]
) -> None:
    mode = parse_auth_mode(value)
    assert smtpd_arguments(mode, "mail.example.test", VCHKPW) == args
    assert smtpd_environment(mode) == env


def test_auth_arguments_end_with_the_checkpassword_subprogram() -> None:
    assert (
        smtpd_arguments(AuthMode.AUTH_AND_TLS, "h", "/x/chk")[-1] == CHECKPASSWORD_SUBPROGRAM == "/bin/true"
    )


def test_submission_switches_add_require_auth_and_force_tls() -> None:
    env = smtpd_environment(AuthMode.AUTH_AFTER_TLS, require_auth=True, force_tls=True)
    assert env == {"REQUIRE_AUTH": "1", "FORCE_TLS": "1"}


@pytest.mark.parametrize(("value", "args", "env"), TABLE)
def test_recognises_each_mode_from_a_scripts_arguments_and_env(
    value: str, args: tuple[str, ...], env: dict[str, str]
) -> None:
    assert mode_from_smtpd(bool(args), env) is AuthMode(value)


def test_a_switch_set_to_zero_counts_as_off_like_jms1() -> None:
    assert mode_from_smtpd(True, {"DENY_TLS": "0", "ALLOW_INSECURE_AUTH": "1"}) is AuthMode.AUTH_AND_TLS


@pytest.mark.parametrize("value", ["auth_required/tls_optional", "auth_required/tls_required"])
def test_refuses_an_auth_required_mode_with_the_guides_reason(value: str) -> None:
    with pytest.raises(InvalidValue, match="must not be required on port 25"):
        parse_auth_mode(value)


def test_refuses_a_tls_required_mode() -> None:
    with pytest.raises(InvalidValue, match="TLS must not be required on port 25"):
        parse_auth_mode("auth_optional/tls_required")


def test_refuses_an_unknown_mode_and_lists_the_known_ones() -> None:
    with pytest.raises(InvalidValue, match="auth_no/tls_no"):
        parse_auth_mode("auth_maybe")


def test_refuses_auth_required_on_port_25() -> None:
    with pytest.raises(InvalidValue, match="unable to receive mail from other mail servers"):
        check_auth_policy(25, AuthMode.AUTH_AND_TLS, require_auth=True, force_tls=False)


def test_refuses_tls_required_on_port_25() -> None:
    with pytest.raises(InvalidValue, match="TLS must not be required on port 25"):
        check_auth_policy(25, AuthMode.AUTH_AND_TLS, require_auth=False, force_tls=True)


@pytest.mark.parametrize("mode", list(AuthMode))
def test_allows_every_optional_mode_on_port_25(mode: AuthMode) -> None:
    check_auth_policy(25, mode, require_auth=False, force_tls=False)


def test_allows_the_submission_port_to_require_auth_and_tls() -> None:
    check_auth_policy(587, AuthMode.AUTH_AND_TLS, require_auth=True, force_tls=True)


def test_refuses_required_auth_when_the_mode_offers_none() -> None:
    with pytest.raises(InvalidValue, match="turn every client away"):
        check_auth_policy(587, AuthMode.TLS_ONLY, require_auth=True, force_tls=False)


def test_refuses_required_tls_when_the_mode_denies_tls() -> None:
    with pytest.raises(InvalidValue, match="turn every client away"):
        check_auth_policy(587, AuthMode.AUTH_NO_TLS, require_auth=True, force_tls=True)
