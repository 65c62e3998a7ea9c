"""The calling window: never call in the customer's rest time (休息时间), in their local time.

Default: 09:00–12:00 and 13:00–18:00 on working days (domain section 3); public holidays of the
customer's country are skipped. China's working days come from ``chinese_calendar`` (it knows
the make-up working days, 调休, on which a Saturday or Sunday is a working day); other
countries use the ``holidays`` package and the campaign's weekdays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from common.calling_days import calling_day
from common.timeutil import zone

from calls.domain.campaign import CampaignSettings


@dataclass(frozen=True, slots=True)
class WindowVerdict:
    allowed: bool
    reason: str | None = None  # outside_calling_window | non_working_day | public_holiday
    local_time: datetime | None = None
    detail: str | None = None


def day_kind(day: date, country: str, settings: CampaignSettings) -> str | None:
    """None for a calling day, else why not (``public_holiday``, ``non_working_day`` …): the
    platform's one calling-day rule (``common.calling_days``), the same scheduling applies."""
    return calling_day(
        day, country=country, weekdays=settings.weekdays, skip_public_holidays=settings.skip_public_holidays
    ).kind


def check_window(
    now: datetime, settings: CampaignSettings, *, timezone: str | None, country: str | None
) -> WindowVerdict:
    """May the customer be called at ``now`` (an aware datetime)?"""
    local = now.astimezone(zone(timezone, settings.default_timezone))
    country = (country or settings.default_country or "CN").upper()
    if settings.working_days_only:
        kind = day_kind(local.date(), country, settings)
        if kind is not None:
            return WindowVerdict(
                False, kind, local, f"{local.date().isoformat()} is a {kind.replace('_', ' ')} in {country}"
            )
    moment = local.time().replace(second=0, microsecond=0)
    if any(w.contains(moment) for w in settings.windows):
        return WindowVerdict(True, None, local)
    spans = ", ".join(f"{w.start}-{w.end}" for w in settings.windows)
    return WindowVerdict(
        False, "outside_calling_window", local, f"{local.strftime('%H:%M')} local time is outside {spans}"
    )
