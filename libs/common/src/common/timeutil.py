"""Times and zones, one way everywhere.

Every stored time is UTC: SQLite keeps a wall time without its offset (and gives it back naive),
so a time reported with +08:00 and one in UTC must not be mixed. ``as_utc`` is the one
normaliser for both directions: what is written, and what is read back. ``zone`` is the one
lookup of a customer's or a campaign's IANA zone, falling back rather than failing, since a
bad zone in one lead's profile must not stop a projection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CENTRE_TIMEZONE = "Asia/Shanghai"  # the call centre's own zone (domain: times are local)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """The same instant in UTC; a naive value is taken as UTC already (SQLite's read-back)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def zone(name: str | None, default: str = CENTRE_TIMEZONE) -> ZoneInfo:
    """The zone called ``name``; else ``default``; else the centre's zone."""
    for candidate in (name, default, CENTRE_TIMEZONE):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo(CENTRE_TIMEZONE)


def is_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone this host knows (validating input)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
