from __future__ import annotations

import os

import pytest

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
