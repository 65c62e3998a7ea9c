"""The calling window as a table: the customer's local time, lunch edge minutes, working days,
China's holidays and make-up days, other countries' holidays, per-campaign windows."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from calls.domain.campaign import CampaignSettings, Window
from calls.domain.window import check_window

SH = ZoneInfo("Asia/Shanghai")
DEFAULT = CampaignSettings()
ALL_DAY_EVERY_DAY = CampaignSettings(windows=[Window(start="00:00", end="24:00")], working_days_only=False)


def sh(y: int, mo: int, d: int, h: int, mi: int, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SH)


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        # Friday 2026-11-20, China: the edges of the default 09:00-12:00 and 13:00-18:00.
        (sh(2026, 11, 20, 8, 59), "outside_calling_window"),
        (sh(2026, 11, 20, 9, 0), None),
        (sh(2026, 11, 20, 11, 59), None),
        (sh(2026, 11, 20, 11, 59, 59), None),
        (sh(2026, 11, 20, 12, 0), "outside_calling_window"),
        (sh(2026, 11, 20, 12, 30), "outside_calling_window"),
        (sh(2026, 11, 20, 12, 59), "outside_calling_window"),
        (sh(2026, 11, 20, 13, 0), None),
        (sh(2026, 11, 20, 17, 59), None),
        (sh(2026, 11, 20, 18, 0), "outside_calling_window"),
        (sh(2026, 11, 20, 22, 0), "outside_calling_window"),
        # The same instant given in UTC: 02:30Z is 10:30 in Shanghai, 04:30Z is 12:30.
        (datetime(2026, 11, 20, 2, 30, tzinfo=UTC), None),
        (datetime(2026, 11, 20, 4, 30, tzinfo=UTC), "outside_calling_window"),
        # Weekend, statutory holiday (National Day, and its weekend days), make-up working days.
        (sh(2026, 11, 21, 10, 0), "non_working_day"),
        (sh(2026, 10, 1, 10, 0), "public_holiday"),
        (sh(2026, 10, 3, 10, 0), "public_holiday"),
        (sh(2026, 10, 10, 10, 0), None),  # Saturday, a make-up working day (调休)
        (sh(2026, 2, 14, 10, 0), None),  # Saturday before the Spring Festival, a make-up day
        (sh(2026, 2, 17, 10, 0), "public_holiday"),  # Spring Festival, a Tuesday
    ],
)
def test_default_window_in_china(moment: datetime, reason: str | None) -> None:
    verdict = check_window(moment, DEFAULT, timezone="Asia/Shanghai", country="CN")
    assert verdict.reason == reason
    assert verdict.allowed is (reason is None)


@pytest.mark.parametrize(
    ("moment", "timezone", "country", "reason"),
    [
        # 10:00 in Shanghai is 21:00 the day before in New York: the customer's time decides.
        (sh(2026, 11, 20, 10, 0), "America/New_York", "US", "outside_calling_window"),
        (sh(2026, 11, 20, 23, 0), "America/New_York", "US", None),  # 10:00 in New York
        # Thanksgiving in the US (Thursday 2026-11-26), 10:00 New York time.
        (datetime(2026, 11, 26, 15, 0, tzinfo=UTC), "America/New_York", "US", "public_holiday"),
        # A US weekday that is an ordinary working day.
        (datetime(2026, 11, 25, 15, 0, tzinfo=UTC), "America/New_York", "US", None),
        # Germany: 3 October is German Unity Day.
        (datetime(2026, 10, 2, 8, 0, tzinfo=UTC), "Europe/Berlin", "DE", None),
        (datetime(2026, 10, 3, 8, 0, tzinfo=UTC), "Europe/Berlin", "DE", "non_working_day"),  # Saturday
        (datetime(2025, 10, 3, 8, 0, tzinfo=UTC), "Europe/Berlin", "DE", "public_holiday"),  # Friday
        # No time zone known: the campaign's default (Asia/Shanghai).
        (sh(2026, 11, 20, 10, 0), None, None, None),
        # An unknown time zone name falls back to the default rather than failing.
        (sh(2026, 11, 20, 10, 0), "Mars/Olympus", "CN", None),
    ],
)
def test_customer_local_time_and_country(
    moment: datetime, timezone: str | None, country: str | None, reason: str | None
) -> None:
    assert check_window(moment, DEFAULT, timezone=timezone, country=country).reason == reason


def test_china_outside_the_years_chinese_calendar_knows_falls_back_to_holidays() -> None:
    # chinese_calendar knows 2004-2026; 2030-10-01 (National Day, a Tuesday) comes from `holidays`.
    verdict = check_window(sh(2030, 10, 1, 10, 0), DEFAULT, timezone="Asia/Shanghai", country="CN")
    assert verdict.reason == "public_holiday"
    assert check_window(sh(2030, 10, 8, 10, 0), DEFAULT, timezone="Asia/Shanghai", country="CN").allowed


@pytest.mark.parametrize(
    ("settings", "moment", "reason"),
    [
        (ALL_DAY_EVERY_DAY, sh(2026, 10, 1, 3, 0), None),
        (CampaignSettings(windows=[Window(start="10:00", end="20:30")]), sh(2026, 11, 20, 20, 29), None),
        (
            CampaignSettings(windows=[Window(start="10:00", end="20:30")]),
            sh(2026, 11, 20, 20, 30),
            "outside_calling_window",
        ),
        (
            CampaignSettings(windows=[Window(start="10:00", end="20:30")]),
            sh(2026, 11, 20, 9, 59),
            "outside_calling_window",
        ),
        # Calling on holidays allowed, weekdays only.
        (CampaignSettings(skip_public_holidays=False), sh(2026, 10, 1, 10, 0), None),
        (CampaignSettings(skip_public_holidays=False), sh(2026, 10, 3, 10, 0), "non_working_day"),
        # Saturdays are working days for this campaign.
        (CampaignSettings(weekdays=[0, 1, 2, 3, 4, 5]), sh(2026, 11, 21, 10, 0), None),
        (CampaignSettings(weekdays=[0, 1, 2, 3, 4, 5]), sh(2026, 11, 22, 10, 0), "non_working_day"),
    ],
)
def test_per_campaign_windows(settings: CampaignSettings, moment: datetime, reason: str | None) -> None:
    assert check_window(moment, settings, timezone="Asia/Shanghai", country="CN").reason == reason


def test_window_documents_are_validated() -> None:
    with pytest.raises(ValueError):
        Window(start="12:00", end="09:00")
    with pytest.raises(ValueError):
        Window(start="9:00", end="12:00")
    with pytest.raises(ValueError):
        CampaignSettings(default_timezone="Nowhere/City")
