"""badrcptto patterns are compiled by glibc's regcomp as qregex does, but never unbounded.

glibc's regcomp expands every counted repetition and can take seconds and gigabytes on a short
pattern (x{1,32767}: 4 GiB and 7.8 s); the web and the root agent both check the admin's
patterns, so a pattern must never be able to take either of them down.
"""

from __future__ import annotations

import resource
import time

import pytest

from mailserver.qmail import badrcptto
from mailserver.qmail.badrcptto import MAX_REPEAT, check_ere
from mailserver.qmail.errors import InvalidValue

glibc = pytest.mark.skipif(badrcptto._glibc_regcomp() is None, reason="qregex's parser is glibc's regcomp")


def refusal(pattern: str) -> tuple[str, float]:
    began = time.monotonic()
    with pytest.raises(InvalidValue) as refused:
        check_ere(pattern)
    return str(refused.value), time.monotonic() - began


@pytest.mark.parametrize("pattern", ["x{1,32767}", "^a{256}@", "(ab){300,}", "[a-z]{0,1000}@example\\.test$"])
def test_refuses_a_repetition_count_above_the_maximum_before_compiling(pattern: str) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    message, took = refusal(pattern)
    assert f"at most {MAX_REPEAT}" in message and message.startswith(f'"{pattern}"')
    assert took < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB: nothing was expanded


@pytest.mark.parametrize("pattern", ["^[a-z]{1,255}@", "x{255}", "a{,5}@", "[{]{1,3}x", "a\\{1000}"])
def test_counts_up_to_the_maximum_and_braces_that_are_no_repetition_pass(pattern: str) -> None:
    assert check_ere(pattern) == pattern


@glibc
@pytest.mark.parametrize("pattern", ["(($)*){1,50}", "(a|^)*{1,60}"])
def test_a_pattern_regcomp_chokes_on_is_refused_within_seconds(pattern: str) -> None:
    message, took = refusal(pattern)  # each took glibc more than 20 s in the agent's own process
    assert "too complex" in message
    assert took < 8


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@glibc
def test_regcomp_runs_outside_the_calling_process() -> None:
    before = children_cpu()
    badrcptto._compile_error.cache_clear()
    assert check_ere("^spam(mer)?[0-9]+@") == "^spam(mer)?[0-9]+@"
    message, _ = refusal("a{2,1}")
    assert "Invalid content of \\{\\}" in message  # glibc's own words
    assert children_cpu() > before


@glibc
def test_results_are_remembered_so_a_page_does_not_spawn_a_compiler_per_line() -> None:
    badrcptto._compile_error.cache_clear()
    for _ in range(3):
        check_ere("^list-[a-z]+@")
    assert badrcptto._compile_error.cache_info().misses == 1
