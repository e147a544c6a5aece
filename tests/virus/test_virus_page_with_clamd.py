"""The Virus Filtering page with Debian's real clamd and freshclam running offline under svscan
(tests/filters/conftest.py: a database directory holding one EICAR signature, no update server
reachable). The agent's operations run in process and ask the real clamd through its socket."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.filters.conftest import clamav_running  # noqa: F401  (the module's real ClamAV)
from tests.support import daemons

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

URL = "/mailserver/virus/"
EICAR = "/mailserver/virus/scan-eicar/"


def test_the_eicar_button_shows_clamds_verdict(admin_client, clamav_running):  # noqa: F811
    html = admin_client.post(EICAR, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="eicar-verdict"' in html
    assert "clamd found it: <strong>Eicar-Test-Signature.UNOFFICIAL</strong>" in html


def test_the_page_says_clamd_answers_and_what_it_loaded(admin_client, clamav_running):  # noqa: F811
    engine = subprocess.run(
        ["/usr/sbin/clamd", "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    html = admin_client.get(URL).content.decode()
    assert f"clamd answers on {clamav_running.socket}: {engine} (no daily database loaded)" in html
    assert f"{engine}</span>" in html  # beside the page's title
    assert "<code>test.hdb</code> (1 signature)" in html
    for name in ("main", "daily", "bytecode"):
        assert f'data-testid="definition-{name}"' in html
    assert html.count("not present") == 3  # offline: freshclam never downloaded one
    assert 'data-testid="config-missing-clamd"' not in html and "config-example" not in html


def test_a_failed_definition_update_is_shown_plainly_with_its_errors(admin_client, clamav_running):  # noqa: F811
    log = clamav_running.roots.system / "var/log/clamav/freshclam.log"
    daemons.start(clamav_running.roots, "freshclam")
    try:
        daemons.wait_for(lambda: log.exists() and "Update failed" in log.read_text(), 60, "an update")
        html = admin_client.get(URL).content.decode()
    finally:
        daemons.stop(clamav_running.roots, "freshclam")
    updates = html[html.index('data-testid="updates"') :]
    assert '<strong class="text-danger">failed</strong>: the virus definitions were not updated.' in updates
    errors = updates[updates.index('data-testid="update-errors"') : updates.index("</ul>")]
    assert "Update failed" in errors
    assert "ClamAV update process started at" in updates  # the attempt's own lines, under a disclosure


def test_with_clamd_stopped_the_eicar_button_says_it_does_not_answer(admin_client, clamav_running):  # noqa: F811
    daemons.stop(clamav_running.roots, "clamd")
    try:
        html = admin_client.post(EICAR, HTTP_HX_REQUEST="true").content.decode()
        page = admin_client.get(URL).content.decode()
    finally:
        daemons.start(clamav_running.roots, "clamd")
        daemons.wait_for(clamav_running.socket.exists, 30, "clamd's socket")
    assert 'data-testid="eicar-error"' in html
    assert f"clamd does not answer on {clamav_running.socket}" in html
    answer = re.search(r'data-testid="clamd-answer">(.*?)</p>', page, re.S)
    assert answer is not None and f"clamd does not answer on {clamav_running.socket}" in answer[1]
    assert answer[1].count("clamd does not answer") == 1  # not "… does not answer: clamd does not answer on"
