"""Inspectors' random sampling (抽查录音) as pure functions, table-tested."""

from __future__ import annotations

from datetime import date, datetime
from itertools import pairwise

import pytest
from qa.domain.sampling import (
    decide_sample,
    elapsed_fraction,
    is_new_agent,
    period_of,
    phase,
    share_for,
)
from qa.rules.policy import SamplingSpec


@pytest.mark.parametrize(
    ("day", "period", "key", "start", "end"),
    [
        (date(2026, 11, 20), "day", "2026-11-20", date(2026, 11, 20), date(2026, 11, 21)),
        (date(2026, 11, 20), "week", "2026-W47", date(2026, 11, 16), date(2026, 11, 23)),
        (date(2026, 11, 16), "week", "2026-W47", date(2026, 11, 16), date(2026, 11, 23)),
        (date(2027, 1, 1), "week", "2026-W53", date(2026, 12, 28), date(2027, 1, 4)),
        (date(2026, 12, 31), "month", "2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        (date(2026, 2, 14), "month", "2026-02", date(2026, 2, 1), date(2026, 3, 1)),
    ],
)
def test_periods(day: date, period: str, key: str, start: date, end: date) -> None:
    p = period_of(day, period)
    assert (p.key, p.start, p.end) == (key, start, end)


@pytest.mark.parametrize(
    ("moment", "fraction"),
    [
        (datetime(2026, 11, 16, 0, 0), 1e-9),  # the very start counts as just begun
        (datetime(2026, 11, 19, 12, 0), 0.5),
        (datetime(2026, 11, 22, 23, 59, 59), 1.0 - 1 / (7 * 86400)),
    ],
)
def test_elapsed_fraction_of_a_week(moment: datetime, fraction: float) -> None:
    assert elapsed_fraction(moment, period_of(moment.date(), "week")) == pytest.approx(fraction, abs=1e-6)


SPEC = SamplingSpec(period="week", share=0.05, min_per_period=2, new_agent_share=0.2, new_agent_weeks=4)


@pytest.mark.parametrize(
    ("started_on", "day", "share"),
    [
        (None, date(2026, 11, 20), 0.05),  # start date unknown: the normal share
        (date(2026, 11, 2), date(2026, 11, 20), 0.2),  # third week
        (date(2026, 11, 2), date(2026, 11, 29), 0.2),  # last day of the fourth week
        (date(2026, 11, 2), date(2026, 11, 30), 0.05),  # fifth week
        (date(2026, 12, 1), date(2026, 11, 20), 0.05),  # not started yet
    ],
)
def test_new_agents_get_the_higher_share(started_on: date | None, day: date, share: float) -> None:
    assert share_for(SPEC, started_on, day) == share
    assert is_new_agent(started_on, day, 4) == (share == 0.2)


@pytest.mark.parametrize(
    ("seen", "sampled", "share", "minimum", "elapsed", "phase_value", "expected"),
    [
        # the systematic share: one call in every 1/share, where the phase puts it
        (0, 0, 0.25, 0, 0.5, 0.75, (True, "share")),  # floor(1.0) > floor(0.75)
        (0, 0, 0.25, 0, 0.5, 0.0, (False, None)),
        (3, 0, 0.25, 0, 0.5, 0.0, (True, "share")),  # the fourth call
        (4, 1, 0.25, 0, 0.5, 0.0, (False, None)),
        (0, 0, 1.0, 0, 0.5, 0.3, (True, "share")),  # share 1: every call
        (5, 0, 0.0, 0, 0.5, 0.3, (False, None)),  # share 0 and no minimum: never
        # the minimum, spread over the period's time
        (0, 0, 0.0, 2, 1e-9, 0.0, (True, "minimum")),  # the period's first call: 1 due at once
        (1, 1, 0.0, 2, 0.49, 0.0, (False, None)),  # the second is due after half the period
        (1, 1, 0.0, 2, 0.51, 0.0, (True, "minimum")),
        (7, 2, 0.0, 2, 0.9, 0.0, (False, None)),  # minimum met
        (7, 0, 0.0, 3, 0.9, 0.0, (True, "minimum")),  # behind schedule: catch up
    ],
)
def test_decide_sample(
    seen: int,
    sampled: int,
    share: float,
    minimum: int,
    elapsed: float,
    phase_value: float,
    expected: tuple[bool, str | None],
) -> None:
    d = decide_sample(
        seen=seen, sampled=sampled, share=share, min_per_period=minimum, elapsed=elapsed, phase_value=phase_value
    )
    assert (d.sampled, d.reason) == expected


@pytest.mark.parametrize(("calls", "share"), [(100, 0.05), (100, 0.2), (37, 0.1), (1000, 0.03)])
def test_share_is_met_and_evenly_spread(calls: int, share: float) -> None:
    """Over a period the share is drawn to within one call, one in every 1/share calls."""
    ph = phase("a-1", "2026-W47")
    drawn = [
        n
        for n in range(calls)
        if decide_sample(seen=n, sampled=0, share=share, min_per_period=0, elapsed=0.5, phase_value=ph).sampled
    ]
    assert abs(len(drawn) - calls * share) <= 1
    gaps = {b - a for a, b in pairwise(drawn)}
    assert gaps <= {int(1 / share), int(1 / share) + 1}


def test_phase_is_reproducible_and_differs_by_agent_and_period() -> None:
    assert phase("a-1", "2026-W47") == phase("a-1", "2026-W47")
    values = {phase(a, p) for a in ("a-1", "a-2", "a-3") for p in ("2026-W47", "2026-W48")}
    assert len(values) == 6 and all(0 <= v < 1 for v in values)


def test_minimum_over_a_quiet_week() -> None:
    """An agent with few calls still gets ``min_per_period`` reviews, not all on the first day."""
    ph = phase("a-9", "2026-W47")
    p = period_of(date(2026, 11, 16), "week")
    sampled = 0
    days = []
    for i, moment in enumerate(datetime(2026, 11, d, 10) for d in (16, 17, 18, 19, 20)):
        d = decide_sample(
            seen=i, sampled=sampled, share=0.0, min_per_period=2, elapsed=elapsed_fraction(moment, p), phase_value=ph
        )
        if d.sampled:
            sampled += 1
            days.append(moment.day)
    assert days == [16, 20]  # the second once half the week (Thursday noon) has gone by
