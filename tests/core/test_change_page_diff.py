"""A change's diff reads line by line, also for a file that was edited by hand."""

from __future__ import annotations

import pytest

from mailserver.core.models import Change
from tests.support.mta_forms import post_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def roots(agent_in_process):
    """A page test: the agent's operations run in process (tests/conftest.py agent_in_process)."""
    return agent_in_process


def test_a_file_without_its_last_newline_is_not_glued_to_the_next_line(admin_client, roots):
    roots.control("databytes").write_text("20x")  # echo -n by hand: qmail reads 20, no newline at the end
    post_section(admin_client, "inbound", databytes="5000000", replace_hand_edits=True)
    change = Change.objects.get(target="control/databytes", result="applied")
    assert change.before == "20x"

    page = admin_client.get(f"/changes/{change.pk}/").content.decode()

    assert "-20x+" not in page
    lines = change.diff.splitlines()
    assert lines[-3:] == ["-20x", "\\ No newline at end of file", "+5000000"]
    assert "-20x\n\\ No newline at end of file\n+5000000" in page
