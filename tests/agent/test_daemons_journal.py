"""The Auto-Restart journal answers whichever thread runs the agent's operation."""

from __future__ import annotations

import threading


def test_an_intent_recorded_in_one_thread_is_read_in_another():
    # The agent's operations run in process from a page test's thread and the live server's: one
    # shared SQLite connection raised ProgrammingError in the second.
    from mailserver.agent import daemons

    daemons.note_intent("qmail-pop3d", "down")
    seen: list[object] = []

    def read() -> None:
        try:
            seen.append(daemons.journal().intent("qmail-pop3d"))
        except Exception as exc:  # what the other thread met is the assertion's subject
            seen.append(exc)

    other = threading.Thread(target=read)
    other.start()
    other.join(10)
    assert seen == ["down"]
    daemons.note_intent("qmail-pop3d", "up")
