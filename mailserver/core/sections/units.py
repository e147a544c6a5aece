"""Sizes and durations typed with units ("10 MB", "7 days"), turned into the integer qmail reads.

qmail's control files hold plain numbers of bytes or seconds, and a bare "10" in Message Size
is 10 bytes. The fields of such files take a unit, echo the number in words beside the field
("= 10 MiB") and still send the exact integer; text that is not a number with a known unit
passes through unchanged, so the library's own message explains it ("qmail reads 20x as 20").
Sizes are binary (1 KB = 1024 bytes), as qmail's users and most mail programs count them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms


@dataclass(frozen=True)
class Quantity:
    unit: str  # what qmail counts: "bytes" or "seconds"
    factors: dict[str, int]  # every accepted spelling of a unit, lower case, and its size
    steps: tuple[tuple[int, str, str], ...]  # for the echo, largest first: (size, singular, plural)


_KIB, _MIB, _GIB = 1024, 1024**2, 1024**3
BYTES = Quantity(
    "bytes",
    {
        **dict.fromkeys(("b", "byte", "bytes"), 1),
        **dict.fromkeys(("k", "kb", "kib", "kbyte", "kbytes"), _KIB),
        **dict.fromkeys(("m", "mb", "mib", "mbyte", "mbytes"), _MIB),
        **dict.fromkeys(("g", "gb", "gib", "gbyte", "gbytes"), _GIB),
    },
    ((_GIB, "GiB", "GiB"), (_MIB, "MiB", "MiB"), (_KIB, "KiB", "KiB"), (1, "byte", "bytes")),
)
_MINUTE, _HOUR, _DAY, _WEEK = 60, 3600, 86400, 604800
SECONDS = Quantity(
    "seconds",
    {
        **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
        **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), _MINUTE),
        **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), _HOUR),
        **dict.fromkeys(("d", "day", "days"), _DAY),
        **dict.fromkeys(("w", "week", "weeks"), _WEEK),
    },
    (
        (_DAY, "day", "days"),
        (_HOUR, "hour", "hours"),
        (_MINUTE, "minute", "minutes"),
        (1, "second", "seconds"),
    ),
)
BY_UNIT = {quantity.unit: quantity for quantity in (BYTES, SECONDS)}

_TYPED = re.compile(r"\s*([0-9]{1,15}(?:\.[0-9]{1,6})?)\s*([A-Za-z]{1,7})\s*")


def parse(text: str, quantity: Quantity) -> str:
    """``text`` as the digits qmail reads when it is a number with one of ``quantity``'s units.

    Anything else comes back unchanged for the library to judge. Raises ValidationError
    for a number whose unit makes it a fraction of a byte or a second.
    """
    match = _TYPED.fullmatch(text)
    if not match or match[2].lower() not in quantity.factors:
        return text
    try:
        exact = Decimal(match[1]) * quantity.factors[match[2].lower()]
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return text
    if exact != exact.to_integral_value():
        raise forms.ValidationError(
            f"{match[1]} {match[2]} is {exact.normalize():f} {quantity.unit}; qmail needs a whole number of "
            f"{quantity.unit}.",
            code="fraction",
        )
    return str(int(exact))


def describe(value: object, quantity: Quantity) -> str:
    """The echo beside the field: "= 10 MiB", "= 1 day 2 hours"; empty when it is not a plain number."""
    text = str(value).strip() if value is not None else ""
    if not re.fullmatch(r"[0-9]{1,15}", text):
        return ""
    number = int(text)
    if number == 0:
        return ""
    if quantity is BYTES:
        for size, name, _ in quantity.steps:
            if number >= size:
                if number % size == 0:
                    return f"= {number // size} {name if size > 1 else _plural(number, 'byte', 'bytes')}"
                return f"≈ {number / size:.2f} {name} ({number} bytes)"
    parts = []
    rest = number
    for size, singular, plural in quantity.steps:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count} {_plural(count, singular, plural)}")
    return "= " + " ".join(parts)


def _plural(count: int, singular: str, plural: str) -> str:
    return singular if count == 1 else plural


class UnitInput(forms.TextInput):
    """A text input followed by its echo (an ``<output>`` the page's script keeps up to date)."""

    template_name = "sections/widgets/unit_input.html"

    def __init__(self, quantity: Quantity, attrs: dict[str, Any] | None = None):
        super().__init__(attrs)
        self.quantity = quantity

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        attrs = {
            **(attrs or {}),
            "data-unit": self.quantity.unit,
            "data-unit-factors": json.dumps(self.quantity.factors, sort_keys=True),
            "autocomplete": "off",
        }
        context = super().get_context(name, value, attrs)
        try:  # the admin's input as typed ("10 MB") after a failed save, or the server's digits
            digits = parse(str(value), self.quantity) if value is not None else None
        except forms.ValidationError:
            digits = None
        context["widget"]["echo"] = describe(digits, self.quantity)
        return context


class QuantityField(forms.CharField):
    """A number of bytes or seconds, typed with or without a unit; cleans to the digits (or the text)."""

    def __init__(self, quantity: Quantity, **kwargs: Any):
        kwargs.setdefault("widget", UnitInput(quantity))
        super().__init__(**kwargs)
        self.quantity = quantity

    def to_python(self, value: Any) -> str:
        # CharField gives its empty_value (here "") for an empty box, None only when told to.
        return parse(super().to_python(value) or "", self.quantity)
