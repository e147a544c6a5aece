"""What the root agent writes to its log: which operations ran, never what they carried."""

from __future__ import annotations

import pytest

from mailserver.core import agent
from mailserver.qmail import atomic
from tests.support.captured import agent_log_after

pytestmark = pytest.mark.integration


def test_the_agent_log_names_the_operation_but_not_the_addresses_it_wrote(roots, work_dir):
    address = "leak-check-7d1e@example.test"
    sha = atomic.read_state(roots.control("badmailfrom")).sha256
    data = agent.call(
        "agent.mta.write_controls", {"files": {"badmailfrom": {"value": address, "expect": sha}}}
    )
    assert data["changes"][0]["after"] == address + "\n"  # the write happened, and its answer came back

    state = agent.call("agent.mta.read_state")  # a read whose answer holds the address too
    assert state["controls"]["badmailfrom"]["value"] == [address]
    log = agent_log_after(work_dir, "agent.mta.read_state")
    assert "agent.mta.write_controls" in log
    assert address not in log
