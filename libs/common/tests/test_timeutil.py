from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from common.timeutil import as_utc, is_zone, zone


def test_as_utc_converts_aware_times_and_takes_naive_ones_as_utc() -> None:
    shanghai = datetime(2026, 11, 20, 10, 3, tzinfo=timezone(timedelta(hours=8)))
    assert as_utc(shanghai) == datetime(2026, 11, 20, 2, 3, tzinfo=UTC)
    assert as_utc(shanghai).utcoffset() == timedelta(0)
    assert as_utc(datetime(2026, 11, 20, 2, 3)) == datetime(2026, 11, 20, 2, 3, tzinfo=UTC)
    assert as_utc(None) is None


@pytest.mark.parametrize(
    ("name", "default", "expected"),
    [
        ("America/New_York", "Asia/Shanghai", "America/New_York"),
        (None, "Europe/Berlin", "Europe/Berlin"),
        ("Mars/Olympus", "Europe/Berlin", "Europe/Berlin"),
        ("Mars/Olympus", "", "Asia/Shanghai"),
        ("../etc", "Nowhere/Else", "Asia/Shanghai"),
    ],
)
def test_zone_falls_back(name: str | None, default: str, expected: str) -> None:
    assert zone(name, default) == ZoneInfo(expected)


def test_is_zone() -> None:
    assert is_zone("Asia/Shanghai") and not is_zone("Mars/Olympus") and not is_zone("")
