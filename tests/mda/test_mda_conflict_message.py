"""What the MDA page says when a box's file changed on the server between the page and the save."""

from __future__ import annotations

import html as markup
import re

import pytest

from tests.mda.test_mda_page import box_data

pytestmark = pytest.mark.django_db


def messages(page: str) -> list[str]:
    """The box's messages as text: the one at its top, those beside its fields, the count by Save."""
    found = re.findall(r"<(div|span|p)[^>]*(?:invalid-feedback|alert)[^>]*>(.*?)</\1>", page, re.S)
    return [markup.unescape(re.sub(r"<[^>]+>|\s+", " ", text)).strip() for _, text in found]


def test_a_conflict_is_said_once_and_the_fields_say_what_saving_again_does(admin_client, roots):
    data = box_data("imap", memory_limit="120")
    imapd = roots.system / "etc/courier/imapd"
    imapd.write_text(imapd.read_text().replace("MAXDAEMONS=40\n", "MAXDAEMONS=50\n"))
    page = admin_client.post("/mailserver/mda/save/imap/", data, HTTP_HX_REQUEST="true").content.decode()
    # It read "courier imapd changed on the server since the page was loaded. imapd was changed on the
    # server since you opened this page; reload it.", while the field below says saving again keeps 50.
    assert messages(page) == [
        "Not saved: courier imapd changed on the server since this page showed it (it was edited "
        "elsewhere, or the page came from the browser's history).",
        "Changed on the server while you edited; it now holds: 50. "
        "The field shows it now: saving again keeps it.",
        "Not saved: 2 errors",
    ]
    assert imapd.read_text().count("MAXDAEMONS=50\n") == 1  # nothing written
