"""htmx gives up on a request only after the web server would have: a hung connection ends in the
page's "no answer in time" note (request-errors.js), never in a Save pending for ever."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = [DEPLOY / "systemd" / "nodeworx-web.service", DEPLOY / "daemontools" / "nodeworx-web" / "run"]


def htmx_config(html: str) -> dict[str, object]:
    found = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert found, "no htmx-config on the page"
    return json.loads(found[1])


@pytest.mark.django_db
def test_a_request_gives_up_after_the_web_servers_own_timeout_not_never(client):
    config = htmx_config(client.get("/login/").content.decode())
    for unit in UNITS:
        server = int(re.search(r"--timeout (\d+)", unit.read_text())[1])
        assert isinstance(config.get("timeout"), int) and config["timeout"] > server * 1000, unit
