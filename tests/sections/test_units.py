"""Sizes and durations typed with units become the exact integer qmail reads; the echo says it in words."""

from __future__ import annotations

import pytest
from django import forms

from mailserver.core.sections.units import BYTES, SECONDS, describe, parse


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("10 MB", "10485760"),
        ("10mb", "10485760"),
        ("512 KB", "524288"),
        ("1.5 MiB", "1572864"),
        ("2 GB", "2147483648"),
        ("2000 bytes", "2000"),
        ("2000", "2000"),  # plain digits are bytes, as qmail reads them
    ],
)
def test_sizes_with_units_become_bytes(typed, digits):
    assert parse(typed, BYTES) == digits


@pytest.mark.parametrize(
    ("typed", "digits"),
    [("7 days", "604800"), ("1 week", "604800"), ("20 minutes", "1200"), ("1h", "3600"), ("90 s", "90")],
)
def test_durations_with_units_become_seconds(typed, digits):
    assert parse(typed, SECONDS) == digits


@pytest.mark.parametrize("typed", ["20x", "ten MB", "10 parsecs", "-5 MB", "10 MB please", ""])
def test_anything_else_is_left_for_the_library_to_explain(typed):
    assert parse(typed, BYTES) == typed


def test_a_fraction_of_a_byte_is_refused_with_the_exact_amount():
    with pytest.raises(forms.ValidationError) as refused:
        parse("1.3 KB", BYTES)
    assert "1331.2 bytes" in refused.value.messages[0]


@pytest.mark.parametrize(
    ("value", "echo"),
    [
        ("10485760", "= 10 MiB"),
        ("2000", "≈ 1.95 KiB (2000 bytes)"),
        ("10", "= 10 bytes"),
        ("1", "= 1 byte"),
        ("0", ""),
        ("20x", ""),
    ],
)
def test_the_echo_of_a_size(value, echo):
    assert describe(value, BYTES) == echo


@pytest.mark.parametrize(
    ("value", "echo"),
    [("604800", "= 7 days"), ("1200", "= 20 minutes"), ("90061", "= 1 day 1 hour 1 minute 1 second")],
)
def test_the_echo_of_a_duration(value, echo):
    assert describe(value, SECONDS) == echo
