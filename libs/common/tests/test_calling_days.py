"""The one calling-day rule: overrides, Chinese statutory holidays and make-up days, weekdays,
other countries' public holidays."""

from __future__ import annotations

from datetime import date

import pytest
from common.calling_days import CallingDay, calling_day, weekday_numbers

EVERY_DAY = frozenset(range(7))


@pytest.mark.parametrize(
    ("day", "weekdays", "expected"),
    [
        (date(2026, 11, 20), None, CallingDay(True)),  # a Friday
        (date(2026, 11, 22), None, CallingDay(False, "non_working_day")),  # a plain Sunday
        (date(2026, 11, 22), EVERY_DAY, CallingDay(True)),  # the campaign calls on Sundays
        (date(2026, 10, 1), EVERY_DAY, CallingDay(False, "public_holiday", "National Day")),
        (date(2026, 10, 3), EVERY_DAY, CallingDay(False, "public_holiday", "National Day")),  # holiday week
        (date(2026, 9, 20), None, CallingDay(True)),  # a Sunday worked in exchange (调休)
    ],
)
def test_china(day: date, weekdays: frozenset[int] | None, expected: CallingDay) -> None:
    if weekdays is None:  # the default weekdays
        assert calling_day(day, country="CN") == expected
    else:
        assert calling_day(day, country="CN", weekdays=weekdays) == expected


def test_a_make_up_working_day_is_really_one() -> None:
    import chinese_calendar

    assert date(2026, 9, 20).weekday() == 6 and chinese_calendar.is_workday(date(2026, 9, 20))


def test_other_countries() -> None:
    assert calling_day(date(2026, 11, 26), country="US") == CallingDay(False, "public_holiday", "Thanksgiving Day")
    assert calling_day(date(2026, 11, 25), country="US") == CallingDay(True)
    assert calling_day(date(2026, 11, 28), country="US").kind == "non_working_day"
    assert calling_day(date(2026, 11, 28), country="US", weekdays=EVERY_DAY) == CallingDay(True)
    assert calling_day(date(2026, 11, 26), country="US", skip_public_holidays=False) == CallingDay(True)
    assert calling_day(date(2026, 11, 26), country="ZZ") == CallingDay(True)  # unknown country: no holidays
    assert calling_day(date(2026, 11, 26), country=None) == CallingDay(True)


def test_the_centres_own_calendar_comes_first() -> None:
    assert calling_day(date(2026, 11, 20), overrides={date(2026, 11, 20): False}).kind == "company_holiday"
    assert calling_day(date(2026, 11, 22), overrides={date(2026, 11, 22): True}).calling


def test_outside_the_chinese_calendars_years_the_holidays_package_decides() -> None:
    verdict = calling_day(date(2027, 1, 1), country="CN")
    assert verdict.kind == "public_holiday" and verdict.describe(date(2027, 1, 1)) == "public holiday (New Year's Day)"


def test_descriptions_and_weekday_names() -> None:
    assert calling_day(date(2026, 11, 22)).describe(date(2026, 11, 22)) == "weekend (sun)"
    wednesday = date(2026, 11, 25)
    assert calling_day(wednesday, weekdays={0, 1}).describe(wednesday) == "not a calling weekday (wed)"
    assert weekday_numbers(["mon", "sun"]) == {0, 6}
    with pytest.raises(ValueError, match="unknown weekday"):
        weekday_numbers(["funday"])
