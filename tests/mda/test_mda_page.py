"""The MDA page against the real agent (in process): the four servers, their limits saved where each
server reads them, refusals beside their field, and who may save."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from mailserver.core import agent
from mailserver.core.models import Change
from mailserver.mda.forms import in_use
from mailserver.mda.sections import PAGE
from mailserver.protocol import Op

pytestmark = pytest.mark.django_db


def box_data(slug: str, **changes: Any) -> dict[str, Any]:
    """What the browser posts for a box: the values the page shows, with the admin's changes."""
    section = PAGE.section(slug)
    assert section is not None
    form = section.form(state=PAGE.shaped(agent.call(Op.MDA_READ_STATE)), prefix=slug)
    fields = ("seen", "memory_limit", "connections")
    data = {form.add_prefix(name): form.initial.get(name, "") for name in fields}
    for name, value in changes.items():
        if value is True:
            data[form.add_prefix(name)] = "on"
        else:
            data[form.add_prefix(name)] = value
    return data


def save(client: Client, slug: str, **changes: Any) -> str:
    response = client.post(f"/mailserver/mda/save/{slug}/", box_data(slug, **changes), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_the_four_servers_with_their_limits_and_where_they_live(admin_client, roots):
    html = admin_client.get("/mailserver/mda/").content.decode()
    for label, service in [
        ("POP3", "qmail-pop3d"),
        ("Secure POP3", "qmail-pop3d-ssl"),
        ("IMAP", "courier-imapd"),
        ("Secure IMAP", "courier-imapd-ssl"),
    ]:
        assert f"{label}: {service}" in html
        assert f"{label} Memory Limit (MB)" in html and f"{label} Connections (max)" in html
        assert f'data-testid="service-{service}"' in html  # its service card
    # Debian's Courier files: MAXDAEMONS=40 and IMAP_ULIMITD=131072 (kB) in imapd, read by both IMAP servers.
    assert f"Set in {roots.system}/etc/courier/imapd (MAXDAEMONS)" in html
    assert f"Set in {roots.system}/etc/courier/imapd (IMAP_ULIMITD)" in html
    assert 'value="134.2"' in html  # 131072 kB in MB
    assert 'min="16"' in html and 'min="32"' in html  # the IMAP servers' floors
    assert "not set up yet" in html  # no POP3 service on the test server
    assert "every login fails" in html  # what the memory limit means


def test_saving_pop3_connections_sets_up_the_service_and_the_page_reads_it_back(admin_client, roots):
    html = save(admin_client, "pop3", connections="25")
    run = (roots.service_dir("qmail-pop3d") / "run").read_text()
    assert "MAX_CONNECTIONS=25\n" in run
    assert "MEMORY_LIMIT=32000000\n" in run  # the panel's default, as the page showed it
    assert "Saved: qmail-pop3d set up under daemontools (stopped)." in html
    assert "qmail-pop3d is not running: the change takes effect when it starts." in html
    page = admin_client.get("/mailserver/mda/").content.decode()
    assert 'name="pop3-connections" value="25"' in page
    assert "Set in its run script" in page
    assert {c.target for c in Change.objects.all()} == {"service qmail-pop3d", "service qmail-pop3d/run"}


def test_saving_imap_memory_limit_writes_courier_imapd_in_kilobytes(admin_client, roots):
    html = save(admin_client, "imap", memory_limit="64")
    imapd = (roots.system / "etc/courier/imapd").read_text()
    assert "IMAP_ULIMITD=62500\n" in imapd  # 64,000,000 bytes in kB, rounded up
    assert "MAXDAEMONS=40\n" in imapd  # untouched: not changed on the page
    # Secure IMAP read IMAP_ULIMITD from imapd: it is given its own, so it keeps 131072.
    assert "IMAP_ULIMITD=131072\n" in (roots.system / "etc/courier/imapd-ssl").read_text()
    assert "imapd-ssl now sets IMAP_ULIMITD=131072 itself, so Secure IMAP keeps its value." in html
    page = admin_client.get("/mailserver/mda/").content.decode()
    assert 'name="imap-memory_limit" value="64"' in page
    assert 'name="imap-ssl-memory_limit" value="134.2"' in page


def test_a_memory_limit_too_small_to_log_in_is_refused_beside_its_field_and_nothing_changes(
    admin_client, roots
):
    imapd = (roots.system / "etc/courier/imapd").read_bytes()
    html = save(admin_client, "imap-ssl", memory_limit="20")
    assert "20 MB is too small for courier-imapd-ssl" in html
    assert "every login fails" in html and "Use at least 32 MB" in html
    assert 'name="imap-ssl-memory_limit" value="20"' in html  # the input is kept
    assert 'aria-invalid="true"' in html and "Not saved: 1 error" in html
    assert (roots.system / "etc/courier/imapd").read_bytes() == imapd
    assert not (roots.system / "etc/courier/imapd-ssl").read_text().count("IMAP_ULIMITD=")
    assert not roots.service_dir("courier-imapd-ssl").exists()
    assert not Change.objects.exists()


def test_a_number_courier_would_misread_is_refused(admin_client, roots):
    html = save(admin_client, "imap", connections="20x")
    assert "IMAP connections must be a whole number" in html
    assert "MAXDAEMONS=40\n" in (roots.system / "etc/courier/imapd").read_text()


def test_a_viewer_sees_the_servers_but_cannot_save(viewer_client, roots):
    html = viewer_client.get("/mailserver/mda/").content.decode()
    assert 'data-testid="read-only-pop3"' in html and 'data-testid="save-' not in html
    response = viewer_client.post("/mailserver/mda/save/pop3/", box_data("pop3", connections="5"))
    assert response.status_code == 403
    assert not roots.service_dir("qmail-pop3d").exists()
    assert not Change.objects.exists()


def test_a_hand_edited_run_script_is_shown_and_replaced_only_after_confirmation(admin_client, roots):
    save(admin_client, "pop3", connections="25")
    run = roots.service_dir("qmail-pop3d") / "run"
    hand = run.read_text().replace("MAX_CONNECTIONS=25\n", "MAX_CONNECTIONS=25\n# tuned by hand\n")
    run.write_text(hand)
    page = admin_client.get("/mailserver/mda/").content.decode()
    assert "edited by hand" in page and "Replace the hand-edited run script" in page
    html = save(admin_client, "pop3", connections="30")
    assert "was not written by this panel (or was edited by hand)" in html
    assert "# tuned by hand" in html  # the script as the server holds it, to judge
    assert 'name="pop3-connections" value="30"' in html
    assert run.read_text() == hand
    html = save(admin_client, "pop3", connections="30", replace_hand_edits=True)
    assert "MAX_CONNECTIONS=30\n" in run.read_text() and "# tuned by hand" not in run.read_text()
    assert "Saved: qmail-pop3d/run." in html


def test_a_file_changed_while_the_page_was_open_is_not_overwritten(admin_client, roots):
    data = box_data("imap", connections="60")
    imapd = roots.system / "etc/courier/imapd"
    imapd.write_text(imapd.read_text().replace("MAXDAEMONS=40\n", "MAXDAEMONS=50\n"))
    html = admin_client.post("/mailserver/mda/save/imap/", data, HTTP_HX_REQUEST="true").content.decode()
    assert "it now holds: 50" in html
    assert 'name="imap-connections" value="60"' in html
    assert "MAXDAEMONS=50\n" in imapd.read_text()


def test_saving_again_without_a_change_writes_nothing(admin_client, roots):
    save(admin_client, "pop3", connections="25")
    run = roots.service_dir("qmail-pop3d") / "run"
    before = run.stat().st_mtime_ns
    assert "Nothing changed: the server already holds these values." in save(admin_client, "pop3")
    assert run.stat().st_mtime_ns == before
    assert Change.objects.filter(result="applied").count() == 2  # the first save's two


def test_connections_in_use_read_as_each_server_reports_them():
    stamp = 1_780_000_000.0
    tcpserver = {"connections": 2, "limit": 40, "at": stamp, "source": "tcpserver status line"}
    assert re.fullmatch(r"2 of 40 in use \(tcpserver's status line at \d\d:\d\d\)", in_use(tcpserver))
    courier = {"connections": 3, "limit": None, "at": None, "source": "couriertcpd's child processes"}
    assert in_use(courier) == "3 open (couriertcpd's children)"
    assert in_use(None) == ""


def test_saving_an_unchanged_imap_box_leaves_its_memory_limit_exact(admin_client, roots):
    imapd = roots.system / "etc/courier/imapd"
    save(admin_client, "imap")  # shown as 134.2 MB, really 131072 kB
    assert "\nIMAP_ULIMITD=131072\n" in imapd.read_text()
    assert "\nMAXDAEMONS=40\n" in imapd.read_text()


def test_each_server_shows_the_port_its_files_say_it_listens_on(admin_client, roots):
    # The test server's Courier files listen on 1143 and 1993 (tests/mda/conftest.py), as the demo's on
    # 10143 and 10993: the page said 143 and 993 whatever the files held.
    html = admin_client.get("/mailserver/mda/").content.decode()
    assert re.search(r'data-testid="port-courier-imapd">1143<', html)
    assert re.search(r'data-testid="port-courier-imapd-ssl">1993<', html)
    assert re.search(r'data-testid="port-qmail-pop3d">110 \(once set up\)<', html)
    assert "on port 143" not in html and "on port 993" not in html


def test_a_courier_setting_that_is_no_number_is_pointed_out_not_shown_as_unset(admin_client, roots):
    imapd = roots.system / "etc/courier/imapd"
    imapd.write_text(re.sub(r"(?m)^MAXDAEMONS=.*$", "MAXDAEMONS=35x", imapd.read_text()))
    html = admin_client.get("/mailserver/mda/").content.decode()
    assert f"{imapd} sets MAXDAEMONS to &quot;35x&quot;, which is not a whole number" in html
    assert f"Not a number in {imapd} (MAXDAEMONS) (see above)" in html
    # It said "Not set on the server yet" beside the panel's 40 while the file held 35x.
    box = html[html.index('id="section-imap"') : html.index('id="section-imap-ssl"')]
    assert "Not set on the server yet" not in box


def test_after_a_conflict_a_setting_the_admin_did_not_touch_shows_the_servers_and_is_kept(
    admin_client, roots
):
    data = box_data("imap", memory_limit="120")
    imapd = roots.system / "etc/courier/imapd"
    imapd.write_text(imapd.read_text().replace("MAXDAEMONS=40\n", "MAXDAEMONS=50\n"))
    html = admin_client.post("/mailserver/mda/save/imap/", data, HTTP_HX_REQUEST="true").content.decode()
    # The connections were not the admin's edit: the box shows the server's 50, not "save again to
    # replace it with your value" beside the 40 the page had shown (which a second save wrote back).
    assert 'name="imap-connections" value="50"' in html
    assert "it now holds: 50. The field shows it now: saving again keeps it." in html
    assert 'name="imap-memory_limit" value="120"' in html
    again = {key: value for key, value in data.items()}
    again["imap-seen"] = re.search(r'name="imap-seen" value="([^"]*)"', html)[1].replace("&quot;", '"')
    again["imap-connections"] = "50"
    admin_client.post("/mailserver/mda/save/imap/", again, HTTP_HX_REQUEST="true")
    text = imapd.read_text()
    assert "MAXDAEMONS=50\n" in text and "IMAP_ULIMITD=117188\n" in text
