"""Hypothesis profiles for the fuzz suite.

"ci" (the default) is small and derandomized, so the suite gives the same verdict on every
run and stays within seconds; NODEWORX_FUZZ_PROFILE=bench runs 2000 random examples per
test, for a long search (``NODEWORX_FUZZ_PROFILE=bench .venv/bin/pytest tests/fuzz``). Either
way the session ends with the count of examples run per form, operation and page, by outcome.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Hypothesis keeps its example database under .hypothesis/ by default; the CI profile
# replays nothing from it (derandomize), so it needs none.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "bench",
    max_examples=2000,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("NODEWORX_FUZZ_PROFILE", "ci"))


def examples(ci: int) -> int:
    """``ci`` examples under the CI profile, the loaded profile's own number otherwise;
    NODEWORX_FUZZ_EXAMPLES=N asks for N whatever the profile (e.g. for the slower HTTP tests)."""
    if os.environ.get("NODEWORX_FUZZ_EXAMPLES"):
        return int(os.environ["NODEWORX_FUZZ_EXAMPLES"])
    return ci if os.environ.get("NODEWORX_FUZZ_PROFILE", "ci") == "ci" else settings().max_examples


def pytest_terminal_summary(terminalreporter: object) -> None:
    from tests.fuzz.tally import summary

    lines = summary()
    if lines:
        terminalreporter.section("fuzz examples run")  # type: ignore[attr-defined]
        for line in lines:
            terminalreporter.write_line(line)  # type: ignore[attr-defined]
