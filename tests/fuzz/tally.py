"""Counts of fuzz examples run, by test and outcome, printed at the end of the session."""

from __future__ import annotations

from collections import Counter, defaultdict

from hypothesis import event

COUNTS: defaultdict[str, Counter[str]] = defaultdict(Counter)


def tally(test: str, outcome: str) -> None:
    """Record one example of ``test`` (also a Hypothesis event, for --hypothesis-show-statistics)."""
    COUNTS[test][outcome] += 1
    event(outcome)


def summary() -> list[str]:
    lines = []
    for test, outcomes in sorted(COUNTS.items()):
        detail = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        lines.append(f"{test}: {sum(outcomes.values())} examples ({detail})")
    total = sum(sum(outcomes.values()) for outcomes in COUNTS.values())
    return [*lines, f"total: {total} examples"] if lines else []
