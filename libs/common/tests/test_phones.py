"""One carrier lookup for the calls service (the guard's caller line) and QA (QA-08)."""

from __future__ import annotations

import pytest
from common.phones import carrier_of, to_e164


@pytest.mark.parametrize(
    "raw",
    ["+8613800138000", "13800138000", "138 0013 8000", "8613800138000", "008613800138000", "+86-138-0013-8000"],
)
def test_numbers_are_written_in_e164(raw: str) -> None:
    assert to_e164(raw) == "+8613800138000"


@pytest.mark.parametrize(
    ("raw", "carrier"),
    [
        ("+8613800138000", "China Mobile"),
        ("138 0013 8000", "China Mobile"),  # as typed: the same number, the same carrier
        ("8613800138000", "China Mobile"),
        ("+8613012345678", "China Unicom"),
        ("+8613312345678", "China Telecom"),
        ("+86 170 1234 5678", "China Telecom"),
    ],
)
def test_the_carrier_of_a_mobile_range(raw: str, carrier: str) -> None:
    assert carrier_of(raw) == carrier


@pytest.mark.parametrize("raw", [None, "", "not a number", "+861065529988", "+1 650 253 0000"])
def test_no_carrier_is_none(raw: str | None) -> None:
    # No number, no parse, a landline or a range without carrier data: None, never "".
    assert carrier_of(raw) is None


def test_the_region_reads_a_national_number() -> None:
    # The same national digits are a Chinese mobile in CN and nothing known in the US.
    assert carrier_of("13800138000", "CN") == "China Mobile"
    assert carrier_of("13800138000", "US") is None
