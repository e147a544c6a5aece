"""The two-factor page shows the key to type in groups of four, reads it letter by letter to a
screen reader, and keeps the plain key to copy (and in the otpauth link for a phone's app)."""

from __future__ import annotations

import html as entities
import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_html(admin_client) -> str:
    return admin_client.get("/account/two-factor/").content.decode()


def _plain(html: str) -> str:
    return re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', html).group(1)


def test_the_key_is_shown_in_groups_of_four(page_html):
    secret = _plain(page_html)
    shown = re.search(r'data-testid="totp-key-grouped">(.*?)</p>', page_html).group(1)
    text = re.sub(r"<[^>]+>", "", shown)

    assert len(secret) == 32
    assert text == " ".join(secret[i : i + 4] for i in range(0, 32, 4))
    assert text.split(" ")[0] == secret[:4] and len(text.split(" ")) == 8


def test_a_screen_reader_gets_it_letter_by_letter_not_the_grouped_text(page_html):
    secret = _plain(page_html)
    grouped = re.search(r'<p [^>]*data-testid="totp-key-grouped"', page_html).group(0)
    spoken = re.search(r'data-testid="totp-key-spoken">Key, letter by letter: ([^<]*)\.<', page_html).group(1)

    assert 'aria-hidden="true"' in grouped
    assert spoken.split(", ")[0] == " ".join(secret[:4])
    assert spoken.replace(", ", "").replace(" ", "") == secret


def test_the_plain_key_is_there_to_copy_and_in_the_apps_link(page_html):
    secret = _plain(page_html)
    copy = re.search(r'<code class="([^"]*)" data-testid="totp-secret">', page_html).group(1)
    link = entities.unescape(re.search(r'<a href="([^"]*)" data-testid="totp-uri"', page_html).group(1))

    assert "user-select-all" in copy.split()
    assert link.startswith("otpauth://totp/NodeWorx%3Aadmin?")
    assert f"secret={secret}&" in link
