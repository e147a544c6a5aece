"""The MDA page tests drive the agent's operations in process (see tests/conftest.py), on a test server
with copies of Debian's Courier files; the POP3 and IMAP services a save sets up are removed afterwards."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from django.test import Client

from mailserver.core.permissions import VIEWERS
from mailserver.qmail import mda
from mailserver.qmail.paths import Roots
from tests.support import accounts, daemons


def remove_mda_services(roots: Roots) -> None:
    """What a save sets up without svscan watching (in process): the link, the directory, the log."""
    for name in mda.SERVERS:
        roots.service_dir(name).unlink(missing_ok=True)
        shutil.rmtree(roots.qmail / "supervise" / name, ignore_errors=True)
    daemons.remove_trees(roots, "etc/courier", "var/lib/courier")


@pytest.fixture
def roots(agent_in_process: Roots) -> Iterator[Roots]:
    remove_mda_services(agent_in_process)
    daemons.courier_files(agent_in_process, 1143, 1993)  # never started here: the ports are not opened
    yield agent_in_process
    remove_mda_services(agent_in_process)


@pytest.fixture
def viewer_client(db, roots: Roots) -> Client:
    return accounts.member_client("viewer", VIEWERS)
