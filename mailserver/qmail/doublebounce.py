"""Switching double bounces off, the way stock qmail allows it.

qmail-send has no switch: it always sends a double bounce to
``doublebounceto@doublebouncehost``. Pointing doublebounceto at an alias whose
``~alias/.qmail-NAME`` holds a single ``#`` line (deliver nowhere) discards them.
"""

from __future__ import annotations

DISCARD_ALIAS = "doublebounce-discard"
DISCARD_CONTENT = b"#\n"


def is_discarding(doublebounceto: object, alias_content: bytes | None) -> bool:
    return doublebounceto == DISCARD_ALIAS and alias_content == DISCARD_CONTENT


def is_broken(doublebounceto: object, alias_content: bytes | None) -> bool:
    """Pointed at the alias, but the alias would not discard: double bounces then fail and vanish noisily."""
    return doublebounceto == DISCARD_ALIAS and alias_content != DISCARD_CONTENT
