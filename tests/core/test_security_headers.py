"""Every page carries a strict Content-Security-Policy, and the templates need nothing it refuses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture
def roots(agent_in_process):
    """A page test: the agent's operations run in process (tests/conftest.py agent_in_process)."""
    return agent_in_process


def _directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


@pytest.mark.django_db
def test_the_login_page_forbids_inline_scripts_and_styles(client):
    directives = _directives(client.get("/login/"))
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/mailserver/mta/", "/mailserver/logs/", "/changes/", "/admin/"])
def test_the_panels_pages_carry_the_policy(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 200
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert _directives(response)["script-src"] == ["'self'"]


def test_htmx_is_told_not_to_inject_its_indicator_styles():
    base = (TEMPLATES / "base.html").read_text()
    assert '"includeIndicatorStyles": false' in base


@pytest.mark.parametrize(
    ("what", "pattern"),
    [
        ("style attribute", r"\sstyle\s*="),
        ("inline script", r"<script(?![^>]*\ssrc=)[^>]*>"),
        ("event handler attribute", r"\son[a-z]+\s*="),
        ("javascript: URL", r"javascript:"),
        ("htmx hx-on (needs eval)", r"\shx-on"),
    ],
)
def test_no_template_holds_what_the_policy_refuses(what, pattern):
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(pattern, line, re.IGNORECASE)
    ]
    assert offenders == [], f"{what} in {offenders}"
