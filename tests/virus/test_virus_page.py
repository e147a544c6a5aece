"""The Virus Filtering page on the bare test server (no ClamAV running): what it shows, and what
turning SMTP-level virus scanning on does on disk. The agent's operations run in process."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from mailserver.core.models import Change
from mailserver.qmail import qmailqueue
from mailserver.qmail.paths import Roots
from tests.support import daemons, stand_ins
from tests.virus.forms import SAVE, clamav_box, save_clamav_box

pytestmark = pytest.mark.django_db

URL = "/mailserver/virus/"


@pytest.fixture
def clamav_tree(roots: Roots):
    """clamd.conf as Debian's sample leaves it (its Example line) and a daily database built by
    sigtool, the way freshclam would leave one (unsigned: no signing key here)."""
    etc = roots.system / "etc/clamav"
    databases = roots.system / "var/lib/clamav"
    etc.mkdir(parents=True, exist_ok=True)
    databases.mkdir(parents=True, exist_ok=True)
    (etc / "clamd.conf").write_text("# the sample file\nExample\nLocalSocket /run/clamav/clamd.ctl\n")
    (databases / "test.hdb").write_text(daemons.EICAR_SIGNATURE)
    _build_daily(databases, version=27500)
    (databases / "bytecode.cvd").write_bytes(b"<html>a proxy's error page</html>")  # a broken download
    try:
        yield roots
    finally:
        daemons.remove_trees(roots, "etc/clamav", "var/lib/clamav")


def _build_daily(databases: Path, version: int) -> None:
    work = databases / "build"
    work.mkdir()
    (work / "daily.hdb").write_text(daemons.EICAR_SIGNATURE.replace("Eicar-Test-Signature", "Daily.Eicar"))
    (work / "COPYING").write_text("test database\n")
    subprocess.run(
        ["/usr/bin/sigtool", "--build=daily.cud", "--unsigned", f"--cvd-version={version}"],
        input="nodeworx\n", text=True, cwd=work, capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    (work / "daily.cud").rename(databases / "daily.cud")
    subprocess.run(["rm", "-rf", str(work)], check=True)


def test_the_definition_table_shows_each_database_from_its_header(admin_client, clamav_tree):
    info = subprocess.run(
        ["/usr/bin/sigtool", f"--info={clamav_tree.system / 'var/lib/clamav/daily.cud'}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    build_time = next(line for line in info.splitlines() if line.startswith("Build time: "))
    html = admin_client.get(URL).content.decode()
    daily = _row(html, "daily")
    assert "<td>27500</td><td>1</td>" in daily
    assert build_time.removeprefix("Build time: ").replace(":", "-", 1) in daily  # as the header writes it
    assert "daily.cud, unsigned" in daily
    assert "not present" in _row(html, "main")
    assert "unreadable: bytecode.cvd has no ClamAV-VDB header" in _row(html, "bytecode")
    assert "<code>test.hdb</code> (1 signature)" in html


def _row(html: str, name: str) -> str:
    start = html.index(f'data-testid="definition-{name}"')
    return html[start : html.index("</tr>", start)]


def test_a_clamd_conf_still_carrying_the_samples_example_line_is_flagged(admin_client, clamav_tree):
    html = admin_client.get(URL).content.decode()
    assert 'data-testid="config-example-clamd"' in html
    assert "ClamAV refuses to start clamd until that line is removed" in html
    assert 'data-testid="config-missing-freshclam"' in html  # and freshclam has no configuration at all


def test_a_freshclam_that_has_not_logged_yet_has_made_no_update_attempt(admin_client, roots):
    etc = roots.system / "etc/clamav"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "freshclam.conf").write_text("UpdateLogFile /var/log/clamav/freshclam.log\n")
    try:
        html = admin_client.get(URL).content.decode()
    finally:
        daemons.remove_trees(roots, "etc/clamav")
    none = re.search(r'data-testid="update-none">([^<]*)<', html)
    assert none and "No update attempt in freshclam's log" in none[1] and "freshclam.log" in none[1]
    assert 'data-testid="update-problem"' not in html  # not an error in red


def test_the_page_says_clamd_does_not_answer_and_why(admin_client, roots):
    html = admin_client.get(URL).content.decode()
    assert "clamd does not answer:" in html
    assert "clamd.conf names neither LocalSocket nor TCPSocket" in html
    assert "version unknown (clamd does not answer)" in html


def test_the_eicar_button_says_plainly_that_clamd_does_not_answer(admin_client, roots):
    html = admin_client.post("/mailserver/virus/scan-eicar/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="eicar-error"' in html
    assert "clamd.conf names neither LocalSocket nor TCPSocket" in html
    assert 'data-testid="eicar-verdict"' not in html


def test_without_simscan_the_page_says_smtp_scanning_needs_it(admin_client, roots):
    html = admin_client.get(URL).content.decode()
    assert "SMTP-level scanning needs simscan, which is not installed" in html


def test_turning_smtp_scanning_on_writes_simcontrol_and_the_page_reads_it_back(admin_client, roots):
    html = save_clamav_box(admin_client, clam=True).content.decode()
    assert roots.control("simcontrol").read_text() == ":clam=yes,spam=no,spam_hits=10.0\n"
    assert "Saved: control/simcontrol now turns SMTP-level virus scanning on." in html
    assert html.count("SMTP-level scanning needs simscan") == 1  # in the box, not again in the notice
    assert 'data-testid="service-clamd"' in html  # the box, read again, keeps its service cards
    change = Change.objects.get(target="control/simcontrol")
    assert (change.result, change.username, change.before) == ("applied", "admin", "")

    page = admin_client.get(URL).content.decode()
    assert re.search(r"<input type=\"checkbox\" name=\"clamav-clam\"[^>]* checked>", page)
    assert "on in control/simcontrol, but no mail is scanned" in page  # simscan is not installed


def test_turning_it_off_again_keeps_the_rest_of_simcontrol(admin_client, roots):
    roots.control("simcontrol").write_text(
        ":clam=yes,spam=yes,spam_hits=7.5,attach=.exe\nexample.test:clam=no\n"
    )
    save_clamav_box(admin_client, clam=False)
    assert roots.control("simcontrol").read_text() == (
        ":clam=no,spam=yes,spam_hits=7.5,attach=.exe\nexample.test:clam=no\n"
    )


def test_a_simcontrol_changed_while_the_page_was_open_is_not_overwritten(admin_client, roots):
    data = clamav_box(clam=True)
    roots.control("simcontrol").write_text(":clam=no,spam=yes\n")  # someone edits it meanwhile
    html = admin_client.post(SAVE, data, HTTP_HX_REQUEST="true").content.decode()
    assert "control/simcontrol changed on the server while you looked" in html
    assert roots.control("simcontrol").read_text() == ":clam=no,spam=yes\n"
    assert Change.objects.get().result == "conflict"


def test_after_a_conflict_a_switch_the_admin_did_not_turn_shows_the_servers_and_is_kept(admin_client, roots):
    roots.control("simcontrol").write_text(":clam=yes,spam=no\n")
    data = clamav_box(clam=True)  # the page shows scanning on; the admin saves without turning it
    roots.control("simcontrol").write_text(":clam=no,spam=no\n")  # meanwhile, turned off on the server

    html = admin_client.post(SAVE, data, HTTP_HX_REQUEST="true").content.decode()

    # Not "Save again to turn it on" beside a ticked box: a second save turned scanning back on.
    assert "SMTP-level virus scanning is now off there. The box shows it now: saving again keeps it." in html
    assert not re.search(r'name="clamav-clam"[^>]*checked', html)
    seen = re.search(r'name="clamav-seen" value="([^"]*)"', html)
    assert seen is not None
    again = admin_client.post(SAVE, {"clamav-seen": seen[1].replace("&quot;", '"')}, HTTP_HX_REQUEST="true")
    assert "Nothing changed" in again.content.decode()
    assert roots.control("simcontrol").read_text() == ":clam=no,spam=no\n"


def test_a_viewer_sees_the_switch_read_only_and_cannot_change_it(viewer_client, roots):
    page = viewer_client.get(URL).content.decode()
    assert 'data-testid="read-only-clamav"' in page
    assert 'data-testid="save-clamav"' not in page
    response = viewer_client.post(SAVE, clamav_box(clam=True), HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert not roots.control("simcontrol").exists()
    assert not Change.objects.exists()


def test_a_viewer_may_run_the_eicar_test(viewer_client, roots):
    response = viewer_client.post("/mailserver/virus/scan-eicar/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-testid="eicar-error"' in response.content.decode()


def test_with_the_agent_down_the_page_says_so_and_shows_nothing_of_clamav(admin_client, roots, monkeypatch):
    from mailserver.core import agent

    def unreachable(*args, **kwargs):
        raise agent.AgentUnavailable("The agent for node test cannot be reached.")

    monkeypatch.setattr(agent, "transport", unreachable)
    html = admin_client.get(URL).content.decode()
    assert "Agent unavailable." in html and "cannot be reached" in html
    assert "clamd" not in html and 'data-testid="definitions"' not in html


@pytest.fixture
def simscan(roots: Roots):
    """A stand-in simscan (it is in no package registry); tcp.smtp and its cdb put back afterwards."""
    with stand_ins.simscan_installed(roots):
        yield roots


def test_with_simscan_installed_turning_scanning_on_hands_smtp_mail_to_it(admin_client, simscan):
    html = save_clamav_box(admin_client, clam=True).content.decode()
    assert "tcp.smtp.cdb was rebuilt: new SMTP connections use it at once." in html
    source, _ = simscan.rules("smtp")
    assert f'QMAILQUEUE="{simscan.qmail_program("simscan")}"' in source.read_text()
    assert 'data-testid="scanning-active"' in admin_client.get(URL).content.decode()


def test_without_javascript_the_eicar_verdict_comes_in_the_whole_page(admin_client, roots):
    html = admin_client.post("/mailserver/virus/scan-eicar/").content.decode()
    assert "<h1" in html and 'data-testid="section-clamav"' in html
    assert 'data-testid="eicar-error"' in html


def test_saving_what_simcontrol_already_says_changes_nothing_and_logs_nothing(admin_client, roots):
    roots.control("simcontrol").write_text(":clam=yes,spam=no,spam_hits=10.0\n")
    html = save_clamav_box(admin_client, clam=True).content.decode()
    assert "Nothing changed: the server already holds these values." in html
    assert not Change.objects.exists()


def test_saving_the_switch_unchanged_without_simcontrol_writes_nothing(admin_client, roots):
    # No simcontrol: simscan's defaults, scanning off, which is what the box shows and sends back.
    html = save_clamav_box(admin_client, clam=False).content.decode()

    assert "Nothing changed: the server already holds these values." in html
    assert not roots.control("simcontrol").exists()
    assert not Change.objects.exists()

    save_clamav_box(admin_client, clam=True)  # a real change still writes
    assert roots.control("simcontrol").read_text() == ":clam=yes,spam=no,spam_hits=10.0\n"
    assert Change.objects.get().result == "applied"


def test_with_simscan_installed_an_unchanged_save_leaves_tcp_smtp_and_its_cdb_alone(admin_client, simscan):
    source, cdb = simscan.rules("smtp")
    hooked = f'QMAILQUEUE="{simscan.qmail_program("simscan")}"'
    source.write_text(source.read_text().replace(":allow", f":allow,{hooked}", 1))  # set by hand
    rules, built = source.read_text(), cdb.read_bytes()

    html = save_clamav_box(admin_client, clam=False).content.decode()

    assert "Nothing changed: the server already holds these values." in html
    assert "was rebuilt" not in html
    assert (source.read_text(), cdb.read_bytes()) == (rules, built)
    assert not simscan.control("simcontrol").exists()
    assert not Change.objects.exists()


def test_scanning_saved_on_again_reaches_the_allow_rules_that_miss_simscan(admin_client, simscan):
    save_clamav_box(admin_client, clam=True)
    source, _ = simscan.rules("smtp")
    program = str(simscan.qmail_program("simscan"))
    source.write_text(source.read_text().replace(f',QMAILQUEUE="{program}"', "", 1))  # one rule lost it
    assert not qmailqueue.read_hook(source.read_text()).everywhere(program)
    simcontrol = simscan.control("simcontrol").read_text()
    earlier = Change.objects.count()

    html = save_clamav_box(admin_client, clam=True).content.decode()

    assert "Saved: tcp.smtp." in html and "tcp.smtp.cdb was rebuilt" in html
    assert simscan.control("simcontrol").read_text() == simcontrol
    assert qmailqueue.read_hook(source.read_text()).everywhere(program)
    assert [c.target for c in Change.objects.order_by("pk")[earlier:]] == ["tcprules tcp.smtp"]


def test_an_unchanged_save_after_simcontrol_appeared_meanwhile_says_so_and_writes_nothing(
    admin_client, roots
):
    data = clamav_box(clam=False)  # the page showed no simcontrol: scanning off
    roots.control("simcontrol").write_text(":clam=no,spam=yes\n")  # meanwhile, still off

    html = admin_client.post(SAVE, data, HTTP_HX_REQUEST="true").content.decode()

    assert "Nothing changed" not in html
    assert "Not saved: the server no longer holds what this page showed" in html
    assert "SMTP-level virus scanning is now off there. That is what you asked for" in html
    assert roots.control("simcontrol").read_text() == ":clam=no,spam=yes\n"
    assert not Change.objects.exists()
