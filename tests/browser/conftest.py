from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from mailserver.core import agent
from mailserver.protocol import Op
from mailserver.qmail.paths import Roots
from tests.support import stand_ins
from tests.support.browser import PASSWORD, USERNAME, log_in

# Django refuses database access from the async event loop that Playwright's sync API keeps
# in the test thread; the live server thread is the only one serving requests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright must never download a browser of its own


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def admin_user(transactional_db):
    from django.contrib.auth.models import User

    return User.objects.create_superuser(USERNAME, "admin@example.test", PASSWORD)


@pytest.fixture
def logged_in_page(page, live_server, admin_user, roots):
    log_in(page, f"{live_server.url}/mailserver/mta/")
    return page


@pytest.fixture
def clam_scanning_with_clamd_down(roots: Roots) -> Iterator[Roots]:
    """simscan (a stand-in) with clam=yes on a server where clamd is not set up: mail would be refused."""
    with stand_ins.simscan_installed(roots):
        try:
            agent.call(Op.SIMSCAN_WRITE, {"clam": True})
            yield roots
        finally:
            agent.call(Op.SIMSCAN_WRITE, {"clam": False})
