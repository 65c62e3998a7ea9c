"""Inspectors' random sampling (抽查录音) as pure functions.

Per agent and period (a day, an ISO week or a month in the policy's timezone) the connected
calls are drawn two ways, as they arrive, so the decision never waits for the period to end:

- **share**: systematic sampling over the agent's calls of the period — call number ``n``
  (0-based) is drawn when ``floor((n + 1) * share + phase) > floor(n * share + phase)``, so
  exactly one call in every ``1 / share`` is drawn, evenly spaced, starting at a random but
  reproducible phase per agent and period (a replay draws the same calls).
- **minimum**: at least ``min_per_period`` calls, spread over the period's time: once a
  fraction ``f`` of the period has elapsed, ``ceil(min_per_period * f)`` must have been drawn;
  a call arriving while the agent is behind that schedule is drawn.

Agents in their first ``new_agent_weeks`` weeks (from their start date) are drawn at
``new_agent_share`` instead of ``share``. Every call with a finding or a complaint goes to the
review queue regardless (see ``qa.projection``).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from qa.rules.policy import SamplingSpec


@dataclass(frozen=True, slots=True)
class Period:
    key: str  # "2026-W47", "2026-11-20", "2026-11"
    start: date
    end: date  # exclusive


def period_of(day: date, period: str) -> Period:
    if period == "day":
        return Period(day.isoformat(), day, day + timedelta(days=1))
    if period == "month":
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        return Period(f"{day.year:04d}-{day.month:02d}", start, end)
    iso = day.isocalendar()
    start = day - timedelta(days=day.weekday())
    return Period(f"{iso.year:04d}-W{iso.week:02d}", start, start + timedelta(days=7))


def elapsed_fraction(local_time: datetime, period: Period) -> float:
    """How much of the period has gone by at ``local_time`` (naive or aware local wall time), in (0, 1]."""
    start = datetime.combine(period.start, time.min)
    span = (period.end - period.start).total_seconds()
    gone = (local_time.replace(tzinfo=None) - start).total_seconds()
    return min(1.0, max(1e-9, gone / span))


def is_new_agent(started_on: date | None, day: date, weeks: int) -> bool:
    return started_on is not None and started_on <= day < started_on + timedelta(weeks=weeks)


def share_for(spec: SamplingSpec, started_on: date | None, day: date) -> float:
    return spec.new_agent_share if is_new_agent(started_on, day, spec.new_agent_weeks) else spec.share


def phase(agent_id: str, period_key: str) -> float:
    """A reproducible pseudo-random number in [0, 1) per agent and period."""
    digest = hashlib.sha256(f"qa-sample/{agent_id}/{period_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True, slots=True)
class SampleDecision:
    sampled: bool
    reason: str | None  # "share" | "minimum" | None


def decide_sample(
    *, seen: int, sampled: int, share: float, min_per_period: int, elapsed: float, phase_value: float
) -> SampleDecision:
    """Whether the agent's next call of the period is drawn, given ``seen`` calls of the period
    before it of which ``sampled`` were drawn."""
    if share > 0 and math.floor((seen + 1) * share + phase_value) > math.floor(seen * share + phase_value):
        return SampleDecision(True, "share")
    if sampled < math.ceil(min_per_period * elapsed - 1e-9):
        return SampleDecision(True, "minimum")
    return SampleDecision(False, None)
