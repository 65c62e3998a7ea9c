"""Which days a customer may be called: the one definition every service uses (the calls
guard before a dial, scheduling when it places a callback or a retry), so they never disagree.

A day is a calling day when, in this order:
1. the centre's own calendar says so (``overrides``: a company holiday, or a day opened);
2. in China (the State Council calendar, ``chinese_calendar``): a statutory holiday, weekend
   days of the holiday week included, is not a calling day (when holidays are skipped, the
   default); a make-up working day (调休: a Saturday or Sunday worked in exchange for a
   holiday) is one, because the customer is at work as on any weekday; any other day is one
   when its weekday is a calling weekday;
3. elsewhere, its weekday must be one of the calling weekdays (Monday to Friday by default; a
   campaign or policy may add Saturday and Sunday), and it must not be a public holiday of the
   customer's country (the ``holidays`` package).
A country of None means calling weekdays only, no public holidays.

Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

import chinese_calendar
import holidays

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONDAY_TO_FRIDAY = frozenset(range(5))

NotCallingKind = Literal["company_holiday", "public_holiday", "non_working_day"]


@dataclass(frozen=True, slots=True)
class CallingDay:
    calling: bool
    kind: NotCallingKind | None = None  # why not, when not
    holiday: str | None = None  # the public holiday's name, when that is why

    def describe(self, day: date) -> str | None:
        """Why not, for a person: "public holiday (National Day)", "weekend (sun)"."""
        if self.calling:
            return None
        if self.kind == "company_holiday":
            return "company holiday"
        if self.kind == "public_holiday":
            return f"public holiday ({self.holiday})" if self.holiday else "public holiday"
        weekday = WEEKDAY_NAMES[day.weekday()]
        return f"weekend ({weekday})" if day.weekday() >= 5 else f"not a calling weekday ({weekday})"


def calling_day(
    day: date,
    *,
    country: str | None = "CN",
    weekdays: Collection[int] = MONDAY_TO_FRIDAY,
    skip_public_holidays: bool = True,
    overrides: Mapping[date, bool] | None = None,
) -> CallingDay:
    """May a customer in ``country`` be called on ``day``? ``weekdays``: 0 = Monday … 6 = Sunday;
    ``country`` None: weekdays only, no public holidays."""
    if overrides and day in overrides:
        return CallingDay(True) if overrides[day] else CallingDay(False, "company_holiday")
    country = country.upper() if country else None
    if country == "CN":
        try:
            if chinese_calendar.is_workday(day):
                if day.weekday() >= 5:  # 调休: a weekend day worked
                    return CallingDay(True)
            else:
                _is_holiday, festival = chinese_calendar.get_holiday_detail(day)
                if festival and skip_public_holidays:
                    return CallingDay(False, "public_holiday", str(festival))
            return _by_weekday(day, weekdays)
        except NotImplementedError:
            pass  # outside the years chinese_calendar knows: the holidays package below
    if day.weekday() not in weekdays:
        return CallingDay(False, "non_working_day")
    if country and skip_public_holidays:
        name = _public_holiday(country, day)
        if name:
            return CallingDay(False, "public_holiday", name)
    return CallingDay(True)


def weekday_numbers(names: Collection[str]) -> frozenset[int]:
    """("mon", "sat") -> {0, 5}; raises ValueError on an unknown name."""
    bad = sorted(n for n in names if n not in WEEKDAY_NAMES)
    if bad:
        raise ValueError(f"unknown weekday(s): {bad}")
    return frozenset(WEEKDAY_NAMES.index(n) for n in names)


def _by_weekday(day: date, weekdays: Collection[int]) -> CallingDay:
    return CallingDay(True) if day.weekday() in weekdays else CallingDay(False, "non_working_day")


@lru_cache(maxsize=512)
def _public_holiday(country: str, day: date) -> str | None:
    try:
        calendar = holidays.country_holidays(country, years=day.year)
    except NotImplementedError:  # a country the package does not know: no public holidays
        return None
    name = calendar.get(day)
    return str(name) if name else None
