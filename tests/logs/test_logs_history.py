"""Back and Forward on Mail Logs: what the page gives the browser."""

from __future__ import annotations

import pytest

from tests.logs.test_logs_page import URL, WHOLE, run_link

pytestmark = pytest.mark.django_db

QUERY = {**WHOLE, "report": "show-all"}


def test_the_panel_alone_and_the_page_at_one_url_tell_the_browser_they_differ(admin_client, roots):
    # Without it, Back from another page took the panel htmx had asked for from the browser's cache
    # as the whole page: no layout, no scripts, no report.
    for headers in ({"HTTP_HX_REQUEST": "true"}, {}):
        page = admin_client.get(URL, QUERY, **headers)
        assert "HX-Request" in page.headers["Vary"]
        link = run_link(page.content.decode())
        assert link is not None
        assert "HX-Request" in admin_client.get(link, **headers).headers["Vary"]
