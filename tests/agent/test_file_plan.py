"""FilePlan's refusal of a file changed meanwhile: said once, naming it, and nothing left half written."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailserver.agent.transaction import FilePlan
from mailserver.qmail import atomic
from mailserver.qmail.errors import Conflict


def test_a_file_changed_meanwhile_is_refused_in_one_sentence_and_nothing_written(tmp_path: Path) -> None:
    first, second = tmp_path / "databytes", tmp_path / "imapd"
    first.write_text("2000\n")
    second.write_text("MAXDAEMONS=40\n")
    seen = atomic.read_state(second).sha256
    second.write_text("MAXDAEMONS=50\n")  # edited after the page read it
    plan = FilePlan()
    plan.add("control/databytes", first, b"5000\n")
    plan.add("courier imapd", second, b"MAXDAEMONS=60\n", seen)
    with pytest.raises(Conflict) as refused:
        plan.apply()
    # It said it twice and ended "reload it": "courier imapd changed on the server since the page was
    # loaded. imapd was changed on the server since you opened this page; reload it."
    assert str(refused.value) == (
        "Not saved: courier imapd changed on the server since this page showed it (it was edited "
        "elsewhere, or the page came from the browser's history)."
    )
    assert first.read_text() == "2000\n" and second.read_text() == "MAXDAEMONS=50\n"
