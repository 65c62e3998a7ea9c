"""Calling-window edges, in the customer's local time (table tests, no I/O)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from scheduling.domain.windows import (
    CallingWindow,
    is_allowed,
    is_working_day,
    next_allowed,
    previous_allowed,
    window_from_config,
)

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
CN = CallingWindow()  # 09:00–12:00, 13:00–18:00, Chinese official calendar


def sh(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


# 2026-11-20 is a Friday; 2026-10-01..07 National Day; 2026-10-10 (Saturday) a 调休 working day.
@pytest.mark.parametrize(
    ("wanted", "expected", "reason"),
    [
        (sh(2026, 11, 20, 10, 30), sh(2026, 11, 20, 10, 30), None),  # inside the morning
        (sh(2026, 11, 20, 9, 0), sh(2026, 11, 20, 9, 0), None),  # first allowed minute
        (sh(2026, 11, 20, 8, 59), sh(2026, 11, 20, 9, 0), "before calling hours"),
        (sh(2026, 11, 20, 11, 59), sh(2026, 11, 20, 11, 59), None),  # last morning minute
        (sh(2026, 11, 20, 12, 0), sh(2026, 11, 20, 13, 0), "break (lunch or rest)"),
        (sh(2026, 11, 20, 12, 30), sh(2026, 11, 20, 13, 0), "break (lunch or rest)"),
        (sh(2026, 11, 20, 17, 59), sh(2026, 11, 20, 17, 59), None),
        (sh(2026, 11, 20, 18, 0), sh(2026, 11, 23, 9, 0), "after calling hours"),  # Fri evening → Mon
        (sh(2026, 11, 20, 23, 30), sh(2026, 11, 23, 9, 0), "after calling hours"),
        (sh(2026, 11, 21, 10, 0), sh(2026, 11, 23, 9, 0), "weekend (sat)"),
        (sh(2026, 11, 22, 15, 0), sh(2026, 11, 23, 9, 0), "weekend (sun)"),
        (sh(2026, 10, 1, 10, 0), sh(2026, 10, 8, 9, 0), "public holiday (National Day)"),
        (sh(2026, 9, 30, 18, 30), sh(2026, 10, 8, 9, 0), "after calling hours"),
        (sh(2026, 10, 10, 10, 0), sh(2026, 10, 10, 10, 0), None),  # 调休: a Saturday that is worked
        (sh(2026, 2, 17, 10, 0), sh(2026, 2, 24, 9, 0), "public holiday (Spring Festival)"),
    ],
)
def test_next_allowed_china(wanted: datetime, expected: datetime, reason: str | None) -> None:
    placement = next_allowed(CN, wanted, SH)
    assert placement.at == expected
    assert placement.reason == reason


def test_customer_time_zone_not_the_centre_s() -> None:
    # 22:00 in Shanghai is 09:00 in New York (EST): allowed for a New York customer.
    us = window_from_config(["09:00-12:00", "13:00-18:00"], ["mon", "tue", "wed", "thu", "fri"], "US")
    assert is_allowed(us, sh(2026, 11, 19, 22, 0), NY)
    assert not is_allowed(CN, sh(2026, 11, 19, 22, 0), SH)
    # Thanksgiving (US holiday) moves to Friday 09:00 New York time.
    placement = next_allowed(us, datetime(2026, 11, 26, 10, 0, tzinfo=NY), NY)
    assert placement.at == datetime(2026, 11, 27, 9, 0, tzinfo=NY)
    assert placement.reason is not None and "Thanksgiving" in placement.reason


def test_china_after_the_calendar_package_years_falls_back_to_holidays() -> None:
    assert is_working_day(CN, datetime(2027, 1, 1).date()) == (False, "public holiday (New Year's Day)")
    assert is_working_day(CN, datetime(2027, 1, 4).date()) == (True, None)


def test_no_calendar_weekdays_only() -> None:
    w = window_from_config(["00:00-24:00"], ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], None)
    assert next_allowed(w, sh(2026, 10, 1, 3, 0), SH).reason is None
    assert is_allowed(w, sh(2026, 10, 1, 23, 59), SH)


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        (sh(2026, 11, 20, 10, 0), sh(2026, 11, 20, 10, 0)),
        (sh(2026, 11, 20, 12, 30), sh(2026, 11, 20, 11, 59)),
        (sh(2026, 11, 20, 19, 0), sh(2026, 11, 20, 17, 59)),
        (sh(2026, 11, 22, 10, 0), sh(2026, 11, 20, 17, 59)),  # Sunday → Friday evening
        (sh(2026, 11, 23, 8, 0), sh(2026, 11, 20, 17, 59)),  # Monday early → Friday evening
    ],
)
def test_previous_allowed(wanted: datetime, expected: datetime) -> None:
    assert previous_allowed(CN, wanted, SH).at == expected


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        window_from_config(["10:00-09:00"], ["mon"], None)
    with pytest.raises(ValueError):
        window_from_config(["09:00-10:00"], ["monday"], None)
