"""The rules a run-script change is judged by, the same in the form and the agent."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mailserver.qmail import smtpd_changes
from mailserver.qmail.control_changes import HostContext
from mailserver.qmail.errors import FieldError
from mailserver.qmail.paths import Roots
from mailserver.qmail.runparams import SmtpdParams, validate_smtpd
from mailserver.qmail.smtpauth import AuthMode


@pytest.fixture
def roots(tmp_path: Path) -> Roots:
    """A server with the control files the panel's smtpd script reads, and the real ucspi-tcp."""
    roots = Roots(
        qmail=tmp_path / "qmail",
        service=tmp_path / "service",
        log=tmp_path / "log",
        tcprules=tmp_path / "etc",
    )
    control = roots.qmail / "control"
    control.mkdir(parents=True)
    (control / "me").write_text("mail.example.test\n")
    (control / "rcpthosts").write_text("example.test\n")
    (control / "concurrencyincoming").write_text("20\n")
    return roots


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"softlimit": 2_000_000}, "softlimit"),  # its message mentions TLS: once blamed on auth_mode
        ({"bind": "localhost"}, "bind"),
        ({"port": 25, "require_auth": True}, "require_auth"),
        ({"port": 25, "force_tls": True}, "force_tls"),
        ({"port": 587, "require_auth": True, "rbl_zones": ("zen.spamhaus.org",)}, "rbl_zones"),
        ({"port": 587, "force_tls": True, "auth_mode": AuthMode.NONE}, "auth_mode"),
        ({"tcprules_cdb": "/etc/tcp.smtp"}, "tcprules_cdb"),
    ],
)
def test_a_refused_setting_is_reported_on_its_own_field(roots, changes, field):
    params = dataclasses.replace(SmtpdParams.primary(roots), **changes)
    with pytest.raises(FieldError) as refused:
        validate_smtpd(params)
    assert refused.value.field == field


def test_a_port_the_other_smtp_server_uses_is_refused_beside_the_port(roots):
    context = HostContext(smtp_ports={"qmail-smtpd": 25, "qmail-submission": 587})
    params = dataclasses.replace(SmtpdParams.submission(roots), port=25, require_auth=False, force_tls=False)
    with pytest.raises(FieldError, match="already used by qmail-smtpd") as refused:
        smtpd_changes.validated("qmail-submission", params, context)
    assert refused.value.field == "port"
    same = dataclasses.replace(SmtpdParams.primary(roots))
    assert smtpd_changes.validated("qmail-smtpd", same, context) == same  # its own port is no clash


def test_the_submission_server_moved_to_port_25_is_told_the_port_is_taken_not_about_auth(roots):
    context = HostContext(smtp_ports={"qmail-smtpd": 25, "qmail-submission": 587})
    params = dataclasses.replace(SmtpdParams.submission(roots), port=25)  # AUTH and TLS enforced
    with pytest.raises(FieldError) as refused:
        smtpd_changes.validated("qmail-submission", params, context)
    assert (refused.value.field, str(refused.value)) == ("port", "Port 25 is already used by qmail-smtpd.")


@pytest.mark.parametrize(("port", "why"), [(110, "POP3's"), (993, "Secure IMAP's"), (465, "SMTPS")])
def test_a_port_of_the_mail_servers_or_smtps_is_refused_for_the_alternate_server(roots, port, why):
    # Saved, qmail-submission would fail to bind beside qmail-pop3d (or take its port while it is
    # down); on 465 clients expect TLS from the first byte and this server speaks STARTTLS.
    params = dataclasses.replace(SmtpdParams.submission(roots), port=port)
    with pytest.raises(FieldError) as refused:
        smtpd_changes.validated("qmail-submission", params, HostContext(smtp_ports={"qmail-smtpd": 25}))
    assert refused.value.field == "port" and str(refused.value).startswith(f"Port {port} is {why}")


def test_only_the_form_fields_can_be_changed_by_a_payload(roots):
    base = SmtpdParams.primary(roots)
    with pytest.raises(FieldError, match="cannot be set through the panel") as refused:
        smtpd_changes.changed_params({"user": "root", "checkpassword": "/bin/true"}, base)
    assert refused.value.field == "params"
    assert smtpd_changes.changed_params({"port": "2525"}, base).port == 2525


def test_invalid_inherited_values_are_reset_and_named(roots):
    template = SmtpdParams.primary(roots)
    current = {**dataclasses.asdict(template), "softlimit": 2_000_000, "port": 2525}
    params, reset = smtpd_changes.inherit(template, current, guessed=("bind",), exists=True)
    assert params.port == 2525
    assert params.softlimit == template.softlimit
    assert sorted(reset) == ["bind", "softlimit"]


def test_the_old_scripts_own_connection_limit_moves_into_a_missing_concurrencyincoming(roots):
    (roots.qmail / "control" / "concurrencyincoming").unlink()
    assert smtpd_changes.carried_concurrency("20", roots) == 20
    assert smtpd_changes.carried_concurrency("$MAXSMTPD", roots) is None  # read at run time: nothing to carry
    (roots.qmail / "control" / "concurrencyincoming").write_text("30\n")
    assert smtpd_changes.carried_concurrency("20", roots) is None  # the file is there: the script reads it


def test_a_script_that_could_not_start_is_named_with_every_missing_piece(roots):
    control = roots.qmail / "control"
    params = dataclasses.replace(SmtpdParams.primary(roots), user="nobody")
    roots.tcprules.mkdir(parents=True, exist_ok=True)
    roots.rules("smtp")[1].write_bytes(b"")  # only its presence is checked
    assert smtpd_changes.missing_prerequisites(params, roots, concurrency_carried=False) == []
    for name in ("concurrencyincoming", "me", "rcpthosts"):
        (control / name).unlink()
    missing = smtpd_changes.missing_prerequisites(
        dataclasses.replace(params, user="no-such-user-here"), roots, concurrency_carried=False
    )
    assert [m.split(" ", 1)[0] for m in missing] == [
        "control/concurrencyincoming",
        "control/me",
        "control/rcpthosts",
        "There",
    ]
    carried = smtpd_changes.missing_prerequisites(params, roots, concurrency_carried=True)
    assert not any("concurrencyincoming" in m for m in carried)


def test_a_missing_rules_cdb_is_named_unless_the_service_is_being_made_with_it(roots):
    params = dataclasses.replace(SmtpdParams.primary(roots), user="nobody")
    source, cdb = roots.rules("smtp")
    missing = smtpd_changes.missing_prerequisites(params, roots, concurrency_carried=False)
    assert missing == [
        f"{cdb} is missing: tcpserver would refuse every connection without it. "
        f"Build it from {source} with tcprules (or copy the rules there first)."
    ]
    assert (
        smtpd_changes.missing_prerequisites(params, roots, concurrency_carried=False, rules_made=True) == []
    )
    cdb.parent.mkdir(parents=True, exist_ok=True)
    cdb.write_bytes(b"")  # only its presence is checked
    assert smtpd_changes.missing_prerequisites(params, roots, concurrency_carried=False) == []
