"""The report's measures as pure functions, table-tested."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from reporting.domain.measures import (
    CallOutcome,
    classify,
    effective_talk_seconds,
    fine_column,
    iso_week_of,
    net_conversions,
    parse_iso_week,
    rate,
    report_day,
)
from reporting.export import BOM, to_csv

SHANGHAI = ZoneInfo("Asia/Shanghai")
CATALOGUE = {  # flags as the calls service's catalogue gives them
    "no_answer": [],
    "invalid_number": ["unworkable", "final"],
    "wrong_person": ["human_answered", "unworkable"],
    "callback": ["human_answered", "customer_contact", "callback"],
    "no_interest": ["human_answered", "customer_contact"],
    "interested": ["human_answered", "customer_contact", "interested"],
    "strong_interest": ["human_answered", "customer_contact", "interested"],
    "appointment": ["human_answered", "customer_contact", "interested"],
    "success": ["human_answered", "customer_contact", "interested", "sale", "final"],
    "complaint": ["human_answered", "customer_contact", "do_not_call", "final"],
}


def o(
    connected: bool = False,
    contact: bool = False,
    interested: bool = False,
    sale: bool = False,
    appointment: bool = False,
    callback: bool = False,
    complaint: bool = False,
) -> CallOutcome:
    return CallOutcome(connected, contact, interested, sale, appointment, callback, complaint)


EXPECTED = {
    "no_answer": o(),
    "invalid_number": o(),
    "wrong_person": o(connected=True),
    "callback": o(True, True, callback=True),
    "no_interest": o(True, True),
    "interested": o(True, True, True),
    "strong_interest": o(True, True, True),
    "appointment": o(True, True, True, appointment=True),
    "success": o(True, True, True, sale=True),
    "complaint": o(True, True, complaint=True),
}


@pytest.mark.parametrize("disposition", sorted(EXPECTED))
def test_outcome_from_flags_and_from_standard_names_agree(disposition: str) -> None:
    answered = disposition not in ("no_answer", "invalid_number")
    assert classify(disposition, CATALOGUE[disposition], answered=answered) == EXPECTED[disposition]
    assert classify(disposition, None, answered=answered) == EXPECTED[disposition]


@pytest.mark.parametrize(
    ("disposition", "flags", "answered", "expected"),
    [
        # A campaign's own outcome: the flags decide, not the name.
        ("hot_lead", ["human_answered", "customer_contact", "interested"], True, o(True, True, True)),
        ("activated", ["human_answered", "customer_contact", "sale"], True, o(True, True, sale=True)),
        # Answered by a machine: answered_at is set, but no human_answered flag: not connected.
        ("voicemail", [], True, o()),
        # No flags, unknown name: connected only if answered; nothing else.
        ("voicemail", None, True, o(connected=True)),
        ("busy", None, False, o()),
        ("Success ", None, True, o(True, True, True, sale=True)),
    ],
)
def test_outcome_edge_cases(disposition: str, flags: list[str] | None, answered: bool, expected: CallOutcome) -> None:
    assert classify(disposition, flags, answered=answered) == expected


@pytest.mark.parametrize(
    ("talk", "contact", "minimum", "expected"),
    [
        (120.0, True, 30, 120.0),
        (30.0, True, 30, 30.0),  # at the threshold counts
        (29.9, True, 30, 0.0),
        (300.0, False, 30, 0.0),  # wrong person: talk time, not effective
        (0.0, True, 0, 0.0),
        (45.0, True, 60, 0.0),  # a stricter threshold
    ],
)
def test_effective_talk(talk: float, contact: bool, minimum: float, expected: float) -> None:
    assert effective_talk_seconds(talk, contact, minimum) == expected


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (0, 0, None),
        (3, 0, None),
        (0, 5, 0.0),
        (1, 3, 0.3333),
        (2, 3, 0.6667),
        (5, 5, 1.0),
    ],
)
def test_rate(part: int, whole: int, expected: float | None) -> None:
    assert rate(part, whole) == expected


@pytest.mark.parametrize(("sales", "voided", "expected"), [(3, 0, 3), (3, 1, 2), (1, 1, 0), (0, 1, 0)])
def test_net_conversions(sales: int, voided: int, expected: int) -> None:
    assert net_conversions(sales, voided) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # As the dialer reported it, in its local offset.
        (datetime(2026, 11, 20, 7, 30, tzinfo=timezone(timedelta(hours=8))), date(2026, 11, 20)),
        (datetime(2026, 11, 20, 23, 59, tzinfo=timezone(timedelta(hours=8))), date(2026, 11, 20)),
        (datetime(2026, 11, 20, 1, 0, tzinfo=timezone(timedelta(hours=9))), date(2026, 11, 20)),
        # UTC instants and naive times are read in the centre's zone.
        (datetime(2026, 11, 19, 23, 30, tzinfo=UTC), date(2026, 11, 20)),
        (datetime(2026, 11, 20, 15, 59, tzinfo=UTC), date(2026, 11, 20)),
        (datetime(2026, 11, 20, 16, 0, tzinfo=UTC), date(2026, 11, 21)),
        (datetime(2026, 11, 19, 23, 30), date(2026, 11, 20)),
    ],
)
def test_report_day(moment: datetime, expected: date) -> None:
    assert report_day(moment, SHANGHAI) == expected


@pytest.mark.parametrize(
    ("week", "monday", "sunday"),
    [
        ("2026-W47", date(2026, 11, 16), date(2026, 11, 22)),
        ("2026W01", date(2025, 12, 29), date(2026, 1, 4)),  # ISO week 1 starts in the previous year
        ("2026-w53", date(2026, 12, 28), date(2027, 1, 3)),  # 2026 has 53 ISO weeks
    ],
)
def test_parse_iso_week(week: str, monday: date, sunday: date) -> None:
    assert parse_iso_week(week) == (monday, sunday)
    assert iso_week_of(monday) == iso_week_of(sunday) == week.upper().replace("W", "-W").replace("--", "-")


@pytest.mark.parametrize("week", ["2026-47", "2026-W00", "2025-W53", "W47", "2026-W7"])
def test_parse_iso_week_rejects(week: str) -> None:
    with pytest.raises(ValueError):
        parse_iso_week(week)


@pytest.mark.parametrize(
    ("payee", "kind", "column"),
    [
        ("agent", "fine", "fines_agent"),
        ("supervisor", "fine", "fines_supervisor"),
        ("team", "complaint_deduction", "complaint_deductions"),
        (None, None, "fines_agent"),
    ],
)
def test_fine_column(payee: str | None, kind: str | None, column: str) -> None:
    assert fine_column(payee, kind) == column


def test_csv_is_excel_friendly() -> None:
    text = to_csv(
        ["agent_id", "dials", "connect_rate", "avg_talk_seconds"],
        [{"agent_id": "a-1", "dials": 4, "connect_rate": 0.75, "avg_talk_seconds": None}],
        {"dials": 4, "connect_rate": 0.75},
    )
    assert text.startswith(BOM)
    lines = text[len(BOM) :].split("\r\n")
    assert lines[0] == "坐席 agent,拨打量 dials,接通率 connect rate,平均通话(秒) avg talk s"
    assert lines[1] == "a-1,4,75.0%,"
    assert lines[2] == "合计 total,4,75.0%,"
