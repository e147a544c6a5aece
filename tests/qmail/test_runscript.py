"""Run scripts: rendering, reading back (ours and hand-written ones), validation, and one real start."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from mailserver.qmail.errors import InvalidValue, OutsideRoots
from mailserver.qmail.paths import Roots
from mailserver.qmail.runparams import (
    SmtpdParams,
    check_bind,
    check_path,
    check_port,
    check_rbl_zone,
    check_user,
    validate_smtpd,
)
from mailserver.qmail.runscript import (
    current_version,
    parse_smtpd,
    read_header,
    read_marker,
    render_log,
    render_rc,
    render_send,
    render_smtpd,
    sh_quote,
)
from mailserver.qmail.smtpauth import AuthMode

DATA = Path(__file__).parent / "data"
ROOTS = Roots()
PRIMARY = SmtpdParams.primary(ROOTS)
SUBMISSION = SmtpdParams.submission(ROOTS)
VARIANTS = {
    "primary": PRIMARY,
    "primary-with-rbl": replace(PRIMARY, rbl_zones=("zen.spamhaus.org", "bl.spamcop.net")),
    "no-auth-no-tls": replace(PRIMARY, auth_mode=AuthMode.NONE, bind="192.0.2.10"),
    "auth-after-tls": replace(PRIMARY, auth_mode=AuthMode.AUTH_AFTER_TLS, softlimit=64_000_000),
    "submission": SUBMISSION,
    "submission-2525": replace(SUBMISSION, port=2525, force_tls=False, user="vpopmail"),
}


def sh_syntax_errors(tmp_path: Path, text: str) -> str:
    script = tmp_path / "run"
    script.write_text(text)
    result = subprocess.run(["/bin/sh", "-n", str(script)], capture_output=True, text=True, check=False)
    return result.stderr if result.returncode else ""


# ---- rendering -------------------------------------------------------------


def test_a_managed_script_starts_with_the_marker_and_a_settings_header() -> None:
    lines = render_smtpd(PRIMARY, ROOTS).splitlines()
    assert lines[0] == "#!/bin/sh"
    assert lines[1] == f"# nodeworx-managed: smtpd.run v{current_version('smtpd')}"
    assert "PORT=25" in lines and "BIND=0" in lines and "SOFTLIMIT=20000000" in lines
    assert "AUTH_MODE=auth_optional/tls_optional" in lines and "AUTH_REQUIRED=no" in lines


def test_the_exec_line_uses_the_header_variables_and_logs_stderr() -> None:
    text = render_smtpd(PRIMARY, ROOTS)
    assert '/usr/bin/softlimit -m "$SOFTLIMIT"' in text
    assert '-x "$TCPRULES_CDB" -c "$MAXSMTPD"' in text
    assert '"$BIND" "$PORT"' in text
    assert text.rstrip().endswith('/var/qmail/bin/qmail-smtpd "$LOCAL" "$CHECKPASSWORD" /bin/true 2>&1')


def test_max_connections_and_hostname_are_read_from_control_files_at_start() -> None:
    text = render_smtpd(PRIMARY, ROOTS)
    assert "MAXSMTPD=$(head -n 1 /var/qmail/control/concurrencyincoming)" in text
    assert "LOCAL=$(head -n 1 /var/qmail/control/me)" in text
    assert 'QMAILDUID=$(id -u "$QMAILD_USER")' in text


def test_keeps_the_open_relay_safety_check() -> None:
    text = render_smtpd(PRIMARY, ROOTS)
    assert "if [ ! -f /var/qmail/control/rcpthosts ]; then" in text
    assert "it'll create an open relay" in text


def test_rbl_zones_become_rblsmtpd_r_flags_in_order() -> None:
    text = render_smtpd(VARIANTS["primary-with-rbl"], ROOTS)
    assert "RBL_ZONE1=zen.spamhaus.org\nRBL_ZONE2=bl.spamcop.net\n" in text
    assert '/usr/bin/rblsmtpd -r "$RBL_ZONE1" -r "$RBL_ZONE2" \\\n' in text


def test_leaves_rblsmtpd_out_without_zones_rather_than_use_its_dead_default() -> None:
    assert "rblsmtpd" not in render_smtpd(PRIMARY, ROOTS)


def test_port_25_script_leaves_auth_and_tls_optional() -> None:
    text = render_smtpd(PRIMARY, ROOTS)
    assert (
        "unset DENY_TLS REQUIRE_AUTH FORCE_TLS\nALLOW_INSECURE_AUTH=1\nexport ALLOW_INSECURE_AUTH\n" in text
    )


def test_submission_requires_auth_and_tls_with_its_own_cdb() -> None:
    text = render_smtpd(SUBMISSION, ROOTS)
    assert "PORT=587" in text and "TCPRULES_CDB=/etc/tcp.submission.cdb" in text
    assert "REQUIRE_AUTH=1\nFORCE_TLS=1\n" in text
    assert "export ALLOW_INSECURE_AUTH REQUIRE_AUTH FORCE_TLS" in text


def test_a_mode_without_auth_gives_qmail_smtpd_no_arguments() -> None:
    text = render_smtpd(VARIANTS["no-auth-no-tls"], ROOTS)
    assert text.rstrip().endswith("/var/qmail/bin/qmail-smtpd 2>&1")
    assert "DENY_TLS=1\nexport DENY_TLS" in text


def test_builds_every_path_from_the_roots() -> None:
    roots = Roots(qmail=Path("/opt/q"), bin=Path("/opt/dt"), tcprules=Path("/opt/etc"), log=Path("/opt/log"))
    text = render_smtpd(SmtpdParams.primary(roots), roots)
    assert not re.search(r"(?<!/opt)/(var/qmail|usr/bin|etc)/", text)
    assert "/opt/q/control/rcpthosts" in text and "exec /opt/dt/softlimit" in text
    assert "/opt/q/bin/qmail-smtpd" in text and "TCPRULES_CDB=/opt/etc/tcp.smtp.cdb" in text
    assert render_send(roots).endswith("exec /opt/q/rc 2>&1\n")
    rc = render_rc(roots)
    assert 'PATH="/opt/q/bin:$PATH"' in rc and "/opt/q/control/defaultdelivery" in rc
    assert "LOG_DIR=/opt/log/smtpd" in render_log(roots, "smtpd")


def test_send_and_log_scripts_match_the_real_ones() -> None:
    assert "\nexec /var/qmail/rc 2>&1\n" in render_send(ROOTS)
    assert 'qmail-start "`cat /var/qmail/control/defaultdelivery`"' in render_rc(ROOTS)
    log = render_log(ROOTS, "send")
    assert read_header(log) == {"LOG_USER": "qmaill", "LOG_DIR": "/var/log/qmail/send"}
    assert log.endswith('exec /usr/bin/setuidgid "$LOG_USER" /usr/bin/multilog t "$LOG_DIR"\n')
    assert "LOG_USER=nobody" in render_log(ROOTS, "smtpd", user="nobody")


def test_log_script_refuses_a_log_name_outside_the_log_root() -> None:
    with pytest.raises(OutsideRoots):
        render_log(ROOTS, "../etc")
    with pytest.raises(InvalidValue):
        render_log(ROOTS, "smtpd", user="root; rm")


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_rendered_smtpd_script_passes_sh_syntax_check(tmp_path: Path, name: str) -> None:
    assert sh_syntax_errors(tmp_path, render_smtpd(VARIANTS[name], ROOTS)) == ""


def test_send_rc_and_log_scripts_pass_sh_syntax_check(tmp_path: Path) -> None:
    for text in (render_send(ROOTS), render_rc(ROOTS), render_log(ROOTS, "smtpd")):
        assert read_marker(text) is not None
        assert sh_syntax_errors(tmp_path, text) == ""


# ---- quoting and validation ---------------------------------------------------


def test_quotes_a_value_so_sh_reads_it_back_unchanged() -> None:
    for value in ("plain/value-1.2", "two words", "a$b`c\\d", ""):
        out = subprocess.run(
            ["/bin/sh", "-c", f'X={sh_quote(value)}; printf %s "$X"'],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout == value


@pytest.mark.parametrize("value", ["it's", "a\nb", "tab\there"])
def test_refuses_values_that_cannot_be_quoted_safely(value: str) -> None:
    with pytest.raises(InvalidValue, match="cannot go into a run script"):
        sh_quote(value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"port": 0}, "out of range"),
        ({"port": 65536}, "out of range"),
        ({"bind": "mail.example.test"}, "not an IPv4 address"),
        ({"bind": "0; rm -rf /"}, "not an IPv4 address"),
        ({"softlimit": 2_000_000}, "qq temporary problem"),
        ({"user": "qmaild`id`"}, "not a valid system user"),
        ({"rbl_zones": ("zen.spamhaus.org;reboot",)}, "not a DNS name"),
        ({"rbl_zones": ("localhost",)}, "not a DNS name"),
        ({"rbl_zones": ("a.example", "A.example")}, "listed twice"),
        ({"checkpassword": "vchkpw"}, "absolute path"),
        ({"checkpassword": "/home/vpopmail/../bin/sh"}, "absolute path"),
        ({"tcprules_cdb": "/etc/tcp.smtp"}, "must end in .cdb"),
        ({"tcprules_cdb": "/tmp/tcp.smtp.cdb"}, "must be in /etc"),
        ({"require_auth": True}, "must not be required on port 25"),
    ],
)
def test_refuses_invalid_settings_with_an_admin_readable_reason(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        validate_smtpd(replace(PRIMARY, **change), ROOTS)  # type: ignore[arg-type]


def test_refuses_rbl_zones_on_a_server_that_requires_auth() -> None:
    with pytest.raises(InvalidValue, match="block your own users"):
        render_smtpd(replace(SUBMISSION, rbl_zones=("zen.spamhaus.org",)), ROOTS)


def test_accepts_the_plain_api_string_for_the_auth_mode() -> None:
    from_form = replace(PRIMARY, auth_mode="auth_no/tls_no")  # type: ignore[arg-type]
    assert render_smtpd(from_form, ROOTS) == render_smtpd(replace(PRIMARY, auth_mode=AuthMode.NONE), ROOTS)


def test_field_checks_accept_form_strings_and_canonical_values() -> None:
    assert check_port("587") == 587
    assert check_bind("0") == "0" and check_bind("127.0.0.1") == "127.0.0.1"
    with pytest.raises(InvalidValue):
        check_port("25; reboot")


# A trailing newline slips through a `^...$` re.match ($ also matches before a final "\n"), and
# str.isdigit() takes "²" and "٢٥": every field check must refuse both (they end up in sh).
@pytest.mark.parametrize(
    ("check", "value"),
    [
        (check_port, "25\n"),
        (check_port, "²"),
        (check_port, "٢٥"),
        (check_port, "２５"),
        (check_user, "qmaild\n"),
        (check_rbl_zone, "zen.spamhaus.org\n"),
        (check_rbl_zone, "zen\n.spamhaus.org"),
        (lambda value: check_path(value, "Checkpassword program"), "/home/vpopmail/bin/vchkpw\n"),
        (check_bind, "127.0.0.1\n"),
        (sh_quote, "zen.spamhaus.org\n"),
    ],
)
def test_field_checks_refuse_a_trailing_newline_and_non_ascii_digits(check: object, value: str) -> None:
    with pytest.raises(InvalidValue):
        check(value)  # type: ignore[operator]


def test_check_port_answers_for_any_text_instead_of_raising_something_else() -> None:
    for value in ("²", "٢٥", "", " ", "-1", "1e3", "0x19", "2" * 400):
        with pytest.raises(InvalidValue):
            check_port(value)


def test_an_rbl_zone_with_a_newline_never_reaches_the_script() -> None:
    with pytest.raises(InvalidValue, match="not a DNS name"):
        render_smtpd(replace(PRIMARY, rbl_zones=("zen.spamhaus.org\n",)), ROOTS)


def test_names_with_a_trailing_newline_do_not_resolve_to_paths() -> None:
    for resolve in (ROOTS.control, ROOTS.service_dir, ROOTS.log_dir, ROOTS.program, ROOTS.alias):
        with pytest.raises(OutsideRoots):
            resolve("me\n")


# ---- reading back ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_reads_back_the_settings_it_rendered(name: str) -> None:
    parsed = parse_smtpd(render_smtpd(VARIANTS[name], ROOTS))
    assert parsed.params == VARIANTS[name]
    assert parsed.managed and not parsed.hand_edited and not parsed.outdated
    assert parsed.template == "smtpd"


def test_reads_back_with_the_roots_it_was_rendered_for() -> None:
    roots = Roots(qmail=Path("/srv/qmail"), tcprules=Path("/srv/etc"))
    params = SmtpdParams.primary(roots)
    assert not parse_smtpd(render_smtpd(params, roots), roots).hand_edited
    assert parse_smtpd(render_smtpd(params, roots)).hand_edited  # other roots: other text


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("PORT=25\n", "PORT=26\n"),
        ('-c "$MAXSMTPD"', "-c 100"),
        ("# -H: no reverse DNS", "# -H: no DNS"),
        ("exit 1\nfi\n\n# AUTH", "fi\n\n# AUTH"),
        ("ALLOW_INSECURE_AUTH=1\n", "ALLOW_INSECURE_AUTH=1\nSMTPGREETING=hi\n"),
        (" 2>&1\n", " 2>&1\n\n"),
    ],
)
def test_notices_a_hand_edit(old: str, new: str) -> None:
    text = render_smtpd(PRIMARY, ROOTS)
    assert old in text
    parsed = parse_smtpd(text.replace(old, new, 1))
    assert parsed.managed and parsed.hand_edited


def test_notices_a_hand_edited_header_value_the_panel_would_refuse() -> None:
    text = render_smtpd(PRIMARY, ROOTS).replace("SOFTLIMIT=20000000", "SOFTLIMIT=2000000")
    parsed = parse_smtpd(text)
    assert parsed.hand_edited and parsed.params is not None and parsed.params.softlimit == 2_000_000


def test_falls_back_to_the_exec_line_when_the_header_is_unreadable() -> None:
    text = render_smtpd(PRIMARY, ROOTS).replace("AUTH_MODE=auth_optional/tls_optional\n", "")
    parsed = parse_smtpd(text)
    assert parsed.managed and parsed.hand_edited
    assert parsed.params == PRIMARY  # AUTH arguments + ALLOW_INSECURE_AUTH=1 give the default mode
    assert parsed.guessed == ()


def test_reads_the_real_notqmail_run_script() -> None:
    parsed = parse_smtpd((DATA / "real-qmail-smtpd.run").read_text())
    assert not parsed.managed and not parsed.hand_edited
    line = parsed.exec_line
    assert line is not None
    assert (line.softlimit, line.bind, line.port) == ("20000000", "127.0.0.1", "2525")
    assert line.concurrency == "$MAXSMTPD"  # read from control/concurrencyincoming at run time
    assert line.tcprules_cdb == "/etc/tcp.smtp.cdb"
    assert (line.smtpd, line.smtpd_args, line.rbl_zones) == ("/var/qmail/bin/qmail-smtpd", (), ())
    assert parsed.params == SmtpdParams(
        tcprules_cdb="/etc/tcp.smtp.cdb",
        port=2525,
        bind="127.0.0.1",
        user="qmaild",
        auth_mode=AuthMode.TLS_ONLY,
    )
    assert parsed.guessed == ("checkpassword",)


def test_reads_a_life_with_qmail_script_with_grouped_flags_and_a_service_name() -> None:
    parsed = parse_smtpd((DATA / "lwq-qmail-smtpd.run").read_text())
    assert parsed.params is not None and parsed.exec_line is not None
    assert parsed.exec_line.port == "smtp" and parsed.params.port == 25
    assert parsed.params.softlimit == 2_000_000  # "-m2000000": the page will ask for more
    assert parsed.params.rbl_zones == ("zen.spamhaus.org", "bl.spamcop.net")
    assert parsed.params.user == "vpopmail"
    assert parsed.params.auth_mode is AuthMode.AUTH_NO_TLS  # AUTH arguments + DENY_TLS=1
    assert parsed.exec_line.smtpd_args == ("mail.example.test", "/home/vpopmail/bin/vchkpw", "/bin/true")


def test_reads_switches_set_with_env_on_the_exec_line() -> None:
    parsed = parse_smtpd((DATA / "jms1-submission.run").read_text())
    assert parsed.params is not None
    p = parsed.params
    assert (p.port, p.bind, p.softlimit, p.tcprules_cdb) == (
        587,
        "192.0.2.10",
        30_000_000,
        "/etc/tcp.submission.cdb",
    )
    assert p.require_auth and p.force_tls
    assert parsed.exec_line is not None and parsed.exec_line.concurrency == "20"
    assert "user" in parsed.guessed


def test_a_hand_written_script_with_non_ascii_digits_is_read_without_crashing() -> None:
    text = (
        "#!/bin/sh\nexec softlimit -m ²0000000 tcpserver -v -R -x /etc/tcp.smtp.cdb -c 20 "
        "-u 1000 -g 1000 0 ² env REQUIRE_AUTH=² /var/qmail/bin/qmail-smtpd 2>&1\n"
    )
    parsed = parse_smtpd(text)
    assert parsed.params is not None
    params = parsed.params
    assert (params.port, params.softlimit, params.require_auth) == (25, 20_000_000, False)
    assert "port" in parsed.guessed


def test_a_script_without_tcpserver_gives_no_settings() -> None:
    parsed = parse_smtpd("#!/bin/sh\nexec /var/qmail/rc\n")
    assert parsed.params is None and parsed.exec_line is None and not parsed.managed


# ---- running the script -------------------------------------------------------------


@pytest.fixture
def qmail_host() -> Iterator[Roots]:
    """A throw-away qmail root that user nobody can traverse (pytest's tmp is 0700)."""
    base = Path(tempfile.mkdtemp(prefix="nodeworx-runscript-"))
    base.chmod(0o755)
    roots = Roots(qmail=base / "qmail", service=base / "service", log=base / "log", tcprules=base / "etc")
    for directory in (roots.control_dir, roots.qmail / "bin", roots.tcprules):
        directory.mkdir(parents=True)
    (roots.control_dir / "me").write_text("mail.example.test\n")
    (roots.control_dir / "rcpthosts").write_text("example.test\n")
    (roots.control_dir / "concurrencyincoming").write_text("2\n")
    # Test-only stand-in for qmail-smtpd: greets and leaves.
    smtpd = roots.qmail_program("qmail-smtpd")
    smtpd.write_text('#!/bin/sh\necho "220 test ESMTP"\n')
    smtpd.chmod(0o755)
    source, cdb = roots.rules("smtp")
    source.write_text(":allow\n")
    with source.open() as rules:
        subprocess.run([str(roots.program("tcprules")), str(cdb), f"{cdb}.tmp"], stdin=rules, check=True)
    yield roots
    shutil.rmtree(base)


def _write_run(roots: Roots, params: SmtpdParams) -> Path:
    run = roots.qmail / "run"
    run.write_text(render_smtpd(params, roots))
    run.chmod(0o755)
    return run


def test_the_script_refuses_to_start_without_rcpthosts(qmail_host: Roots) -> None:
    (qmail_host.control_dir / "rcpthosts").unlink()
    run = _write_run(qmail_host, replace(SmtpdParams.primary(qmail_host), user="nobody"))
    out = subprocess.run([str(run)], capture_output=True, text=True, timeout=10, check=False)
    assert out.returncode == 1 and "open relay" in out.stdout


def test_the_script_refuses_a_concurrency_that_is_not_a_number(qmail_host: Roots) -> None:
    (qmail_host.control_dir / "concurrencyincoming").write_text("20x\n")
    run = _write_run(qmail_host, replace(SmtpdParams.primary(qmail_host), user="nobody"))
    out = subprocess.run([str(run)], capture_output=True, text=True, timeout=10, check=False)
    assert out.returncode == 1 and "must hold a number" in out.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _greeting(port: int, deadline: float) -> bytes:
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
                return conn.makefile("rb").readline()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.integration
@pytest.mark.skipif(not Path("/usr/bin/tcpserver").exists(), reason="needs ucspi-tcp")
def test_the_rendered_script_really_serves_smtp_on_loopback(qmail_host: Roots) -> None:
    port = _free_port()
    params = replace(SmtpdParams.primary(qmail_host), port=port, bind="127.0.0.1", user="nobody")
    run = _write_run(qmail_host, params)
    proc = subprocess.Popen(
        [str(run)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        assert _greeting(port, time.monotonic() + 10) == b"220 test ESMTP\n"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # our own session: tcpserver and any child
        output, _ = proc.communicate(timeout=10)
    # -v logs the limit it took from control/concurrencyincoming, and the connection.
    assert b"tcpserver: status: 0/2" in output
    assert b"tcpserver: ok " in output
