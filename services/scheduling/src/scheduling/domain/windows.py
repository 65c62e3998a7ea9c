"""Calling windows: when a customer may be called, in the customer's local time.

A window is a set of daily periods (default 09:00–12:00 and 13:00–18:00) on working days. What a
working day is depends on the customer's country: China follows the State Council calendar
(``chinese_calendar``: public holidays off, and the weekend days swapped into working days
— 调休 — on); other countries take their weekday list minus the public holidays of the
``holidays`` package. Pure: no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from common.calling_days import WEEKDAY_NAMES, calling_day, weekday_numbers

WEEKDAYS = WEEKDAY_NAMES
# The search for the next allowed minute gives up after this many days (a window that is
# never open is a configuration error, not something to loop on).
MAX_SEARCH_DAYS = 400


@dataclass(frozen=True, slots=True)
class Period:
    start: time
    end: time  # exclusive; time(0) at the end means midnight (24:00)

    @classmethod
    def parse(cls, text: str) -> Period:
        left, right = (p.strip() for p in text.split("-"))
        end = time(0) if right in ("24:00", "00:00") else time.fromisoformat(right)
        return cls(time.fromisoformat(left), end)

    def end_minutes(self) -> int:
        return 24 * 60 if self.end == time(0) else self.end.hour * 60 + self.end.minute

    def start_minutes(self) -> int:
        return self.start.hour * 60 + self.start.minute


@dataclass(frozen=True, slots=True)
class CallingWindow:
    periods: tuple[Period, ...] = (Period(time(9), time(12)), Period(time(13), time(18)))
    weekdays: frozenset[str] = frozenset(("mon", "tue", "wed", "thu", "fri"))
    # "CN": the Chinese official calendar; another ISO code: that country's public holidays;
    # None: weekdays only, no holidays.
    calendar: str | None = "CN"
    holiday_overrides: dict[date, bool] = field(default_factory=dict)  # date -> is working day


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a wanted time lands. ``reason`` is None when the wanted time was allowed."""

    at: datetime
    reason: str | None


def is_working_day(window: CallingWindow, day: date) -> tuple[bool, str | None]:
    """(working?, why not): the platform's one calling-day rule (``common.calling_days``), the
    same the calls guard applies before a dial."""
    verdict = calling_day(
        day, country=window.calendar, weekdays=_weekday_numbers(window.weekdays), overrides=window.holiday_overrides
    )
    return verdict.calling, verdict.describe(day)


@lru_cache(maxsize=64)
def _weekday_numbers(names: frozenset[str]) -> frozenset[int]:
    return weekday_numbers(names)


def _minute_of(t: datetime) -> int:
    return t.hour * 60 + t.minute


def _period_reason(window: CallingWindow, minute: int) -> str:
    starts = sorted(p.start_minutes() for p in window.periods)
    ends = sorted(p.end_minutes() for p in window.periods)
    if minute < starts[0]:
        return "before calling hours"
    if minute >= ends[-1]:
        return "after calling hours"
    return "break (lunch or rest)"


def is_allowed(window: CallingWindow, at: datetime, tz: ZoneInfo) -> bool:
    local = at.astimezone(tz)
    if not is_working_day(window, local.date())[0]:
        return False
    minute = _minute_of(local)
    return any(p.start_minutes() <= minute < p.end_minutes() for p in window.periods)


def next_allowed(window: CallingWindow, wanted: datetime, tz: ZoneInfo) -> Placement:
    """The wanted instant if the customer may be called then, else the first allowed minute
    after it in the customer's local time, with the reason it was moved."""
    local = wanted.astimezone(tz)
    working, why_not = is_working_day(window, local.date())
    minute = _minute_of(local)
    if working:
        for p in sorted(window.periods, key=Period.start_minutes):
            if p.start_minutes() <= minute < p.end_minutes():
                return Placement(wanted, None)
            if minute < p.start_minutes():
                return Placement(_at_minute(local.date(), p.start_minutes(), tz), _period_reason(window, minute))
        reason = _period_reason(window, minute)
    else:
        reason = why_not or "not a working day"
    day = local.date()
    for _ in range(MAX_SEARCH_DAYS):
        day += timedelta(days=1)
        if is_working_day(window, day)[0] and window.periods:
            first = min(p.start_minutes() for p in window.periods)
            return Placement(_at_minute(day, first, tz), reason)
    raise ValueError("the calling window is never open")


def previous_allowed(window: CallingWindow, wanted: datetime, tz: ZoneInfo) -> Placement:
    """The last allowed minute at or before the wanted instant (for calls that must happen
    *before* something, like the confirmation the day before an appointment)."""
    local = wanted.astimezone(tz)
    if is_allowed(window, wanted, tz):
        return Placement(wanted, None)
    working, why_not = is_working_day(window, local.date())
    minute = _minute_of(local)
    reason = _period_reason(window, minute) if working else (why_not or "not a working day")
    if working:
        for p in sorted(window.periods, key=Period.end_minutes, reverse=True):
            if minute >= p.end_minutes():
                return Placement(_at_minute(local.date(), p.end_minutes() - 1, tz), reason)
    day = local.date()
    for _ in range(MAX_SEARCH_DAYS):
        day -= timedelta(days=1)
        if is_working_day(window, day)[0] and window.periods:
            last = max(p.end_minutes() for p in window.periods)
            return Placement(_at_minute(day, last - 1, tz), reason)
    raise ValueError("the calling window is never open")


def _at_minute(day: date, minute: int, tz: ZoneInfo) -> datetime:
    base = datetime(day.year, day.month, day.day, tzinfo=tz)
    # Wall-clock arithmetic, then normalised (a DST gap moves the time forward, never back).
    local = base.replace(hour=minute // 60, minute=minute % 60) if minute < 24 * 60 else base + timedelta(days=1)
    return local.astimezone(ZoneInfo("UTC")).astimezone(tz)


def window_from_config(periods: list[str], weekdays: list[str], calendar: str | None) -> CallingWindow:
    bad = [d for d in weekdays if d not in WEEKDAYS]
    if bad:
        raise ValueError(f"unknown weekday(s): {bad}")
    parsed = tuple(sorted((Period.parse(p) for p in periods), key=Period.start_minutes))
    for p in parsed:
        if p.end_minutes() <= p.start_minutes():
            raise ValueError(f"empty period {p}")
    return CallingWindow(parsed, frozenset(weekdays), calendar)
