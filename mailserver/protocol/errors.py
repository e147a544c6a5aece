"""The kinds of "no" an agent answers with, and which of them the admin caused."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    INVALID = "invalid"  # a value qmail would misread, a name outside the roots
    HAND_EDIT = "hand_edit"  # the file was edited by hand: replace it only after confirmation
    CONFLICT = "conflict"  # the file changed on the server since the page was read
    REFUSED = "refused"  # the message failed its signed checks (replay, expiry, other node)
    FAILED = "failed"  # the server could not do it (I/O error, a program failed)
    CANCELLED = "cancelled"  # the admin stopped it (a long log report)
