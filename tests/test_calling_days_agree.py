"""Scheduling and the calls guard agree on when a customer may be called (they disagreed on
Sundays: scheduling moved a Sunday callback that the guard would let through)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from calls.domain.campaign import CampaignSettings
from calls.domain.window import check_window
from scheduling.domain.windows import WEEKDAYS, is_working_day, next_allowed, window_from_config

SHANGHAI = ZoneInfo("Asia/Shanghai")
PERIODS = ["09:00-12:00", "13:00-18:00"]


def test_a_sunday_callback_is_kept_when_the_policy_calls_on_sundays() -> None:
    window = window_from_config(PERIODS, list(WEEKDAYS), "CN")
    sunday_10am = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)
    placed = next_allowed(window, sunday_10am, SHANGHAI)
    assert (placed.at, placed.reason) == (sunday_10am, None)
    guard = check_window(sunday_10am, CampaignSettings(weekdays=list(range(7))), timezone="Asia/Shanghai", country="CN")
    assert guard.allowed


@pytest.mark.parametrize("weekdays", [range(5), range(6), range(7), (0, 2, 4), (5, 6)])
@pytest.mark.parametrize("country", ["CN", "US", "DE"])
def test_both_services_give_the_same_answer_every_day_of_two_years(weekdays: range, country: str) -> None:
    window = window_from_config(PERIODS, [WEEKDAYS[d] for d in weekdays], country)
    campaign = CampaignSettings(weekdays=list(weekdays))
    day = date(2025, 12, 1)
    while day < date(2027, 12, 1):
        at_noon_utc = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
        zone = "Asia/Shanghai" if country == "CN" else ("America/New_York" if country == "US" else "Europe/Berlin")
        local_day = at_noon_utc.astimezone(ZoneInfo(zone)).date()
        guard_allows_the_day = check_window(at_noon_utc, campaign, timezone=zone, country=country).reason not in (
            "public_holiday",
            "non_working_day",
        )
        assert is_working_day(window, local_day)[0] == guard_allows_the_day, (country, list(weekdays), local_day)
        day += timedelta(days=1)
