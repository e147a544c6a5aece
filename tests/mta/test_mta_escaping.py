"""Server content reaches the MTA page only as escaped text, in every way a box is rendered.

The files behind each box are filled with markup (a control file or run script edited by hand,
or by an attacker with access to the mail host); each box is then saved with invalid input, with
a change the agent refuses (a hand edit not confirmed) and, where the agent reports one, with a
conflict. The markup must arrive as text, and qmail's own "<greeting>" must stay visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.mta_forms import section_data

pytestmark = pytest.mark.django_db

SCRIPT = "<img src=x onerror=alert(1)>"
HOSTILE = f"{SCRIPT} <greeting>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt; &lt;greeting&gt;"


@dataclass(frozen=True)
class Box:
    slug: str
    file: str  # control/NAME, or the service whose run script holds the box's settings
    invalid: dict[str, str]  # input the form refuses
    change: dict[str, str]  # a valid change that writes the hostile file (refused: hand edit)

    def path(self, roots) -> Path:
        if self.file.startswith("control/"):
            return roots.control(self.file.removeprefix("control/"))
        return roots.service_dir(self.file) / "run"

    def make_hostile(self, roots) -> None:
        path = self.path(roots)
        if self.file.startswith("control/"):
            path.write_text(HOSTILE + "\n")
        else:
            path.write_text(path.read_text().replace("exec 2>&1", f"exec 2>&1\n# {HOSTILE}"))


BOXES = [
    Box(
        "primary",
        "qmail-smtpd",
        {"auth_mode": "auth_required/tls_optional"},
        {"auth_mode": "auth_no/tls_optional"},
    ),
    Box("alternate", "qmail-submission", {"port": "25"}, {"port": "2587"}),
    Box("server", "control/me", {"bouncehost": "not a host!"}, {"me": "mail2.example.test"}),
    Box("inbound", "control/smtpgreeting", {"databytes": "20x"}, {"smtpgreeting": "mail.example.test"}),
    Box(
        "blacklists",
        "control/badmailfrom",
        {"badmailfrom": "not an address"},
        {"badmailfrom": "a@b.example.test"},
    ),
    Box("rbl", "qmail-smtpd", {"zones": "not a zone!"}, {"zones": "zen.spamhaus.org"}),
    Box("outbound", "control/timeoutremote", {"concurrencyremote": "500"}, {"timeoutremote": "60"}),
    Box(
        "routes",
        "control/smtproutes",
        {"smtproutes": "no colon here"},
        {"smtproutes": "example.com:relay.example.net"},
    ),
]
BY_SLUG = {box.slug: box for box in BOXES}


def save(client, slug: str, data: dict[str, str], htmx: bool) -> str:
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(f"/mailserver/mta/save/{slug}/", data, **extra)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def assert_no_server_markup(html: str) -> None:
    assert "<img" not in html
    assert "<greeting>" not in html


def test_every_box_of_the_page_is_covered():
    from mailserver.mta.sections import SECTIONS

    assert [s.slug for s in SECTIONS] == [box.slug for box in BOXES]


@pytest.mark.parametrize("htmx", [True, False], ids=["box", "full-page"])
@pytest.mark.parametrize("slug", list(BY_SLUG))
def test_invalid_input_re_renders_the_box_with_server_content_escaped(admin_client, roots, slug, htmx):
    box = BY_SLUG[slug]
    box.make_hostile(roots)
    html = save(admin_client, slug, section_data(slug, **box.invalid), htmx)
    assert "invalid-feedback" in html  # the invalid input was refused, beside its field
    assert_no_server_markup(html)
    if box.file.startswith("control/"):
        assert ESCAPED in html  # the hand edit is quoted in the field's help, as text


@pytest.mark.parametrize("htmx", [True, False], ids=["box", "full-page"])
@pytest.mark.parametrize("slug", list(BY_SLUG))
def test_a_refused_save_shows_the_hand_edit_escaped(admin_client, roots, slug, htmx):
    box = BY_SLUG[slug]
    box.make_hostile(roots)
    before = box.path(roots).read_text()
    html = save(admin_client, slug, section_data(slug, **box.change), htmx)
    assert "edited by hand" in html
    assert_no_server_markup(html)
    assert ESCAPED in html
    assert box.path(roots).read_text() == before


@pytest.mark.parametrize("htmx", [True, False], ids=["box", "full-page"])
def test_a_conflict_shows_what_the_server_now_holds_escaped(admin_client, roots, htmx):
    data = section_data("inbound", smtpgreeting="mail.example.test ESMTP")
    # Valid for qmail (the first word is the host name), so the agent reports a conflict.
    roots.control("smtpgreeting").write_text(f"mail.example.test {HOSTILE}\n")
    html = save(admin_client, "inbound", data, htmx)
    assert f"it now holds: mail.example.test {ESCAPED}" in html
    assert_no_server_markup(html)


@pytest.mark.parametrize("htmx", [True, False], ids=["box", "full-page"])
def test_a_run_script_conflict_shows_the_script_escaped(admin_client, roots, htmx):
    data = section_data("alternate", port="2587")
    BY_SLUG["alternate"].make_hostile(roots)
    html = save(admin_client, "alternate", data, htmx)
    assert f"# {ESCAPED}" in html
    assert_no_server_markup(html)


def test_qmails_greeting_placeholder_stays_visible_after_a_failed_save(admin_client, roots):
    html = save(admin_client, "inbound", section_data("inbound", databytes="20x"), htmx=True)
    assert "Sent as &quot;220 &lt;greeting&gt; ESMTP&quot;" in html
