"""Report measures as pure functions (统计: 拨打量, 接通率, 通话时长)."""

from __future__ import annotations

from datetime import date, datetime


def report_day(moment: datetime) -> date:
    """A call belongs to the day on which it was placed, in the time the dialer reported it
    (the call centre's local time), not UTC: a 07:30+08:00 dial is on that morning's table."""
    return moment.date()


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
